// Whether the user can really see an element, for the two decisions a page must not be able to fake: a click on a
// mark (is the mark what the user saw and meant?) and "seen" (was the paper on screen?). Chromium's
// IntersectionObserver v2 (`trackVisibility`) reports occlusion and visual effects, overlays with
// `pointer-events: none` included; elsewhere, and as a second check, the computed styles up the ancestor chain
// and a hit test say whether the element is transparent, filtered, masked, zero-size or covered.
(() => {
  'use strict';
  const TRACKS_VISIBILITY =
    typeof IntersectionObserverEntry !== 'undefined' && 'isVisible' in IntersectionObserverEntry.prototype;
  // Below this combined opacity an element counts as not drawn (IntersectionObserver v2 demands exactly 1).
  const MIN_OPACITY = 0.95;

  function flatParent(node) {
    if (node.assignedSlot) return node.assignedSlot;
    if (node.parentElement) return node.parentElement;
    const root = node.getRootNode();
    return root instanceof ShadowRoot ? root.host : null;
  }

  /** A sentence-free reason why drawing effects hide `element` ('' when none do). */
  function hiddenByEffects(element) {
    let opacity = 1;
    for (let node = element; node; node = flatParent(node)) {
      const style = getComputedStyle(node);
      opacity *= Number(style.opacity);
      if (style.filter !== 'none') return 'filter';
      const mask = style.getPropertyValue('mask-image') || style.getPropertyValue('-webkit-mask-image');
      if (mask && mask !== 'none') return 'mask';
      if (style.clipPath !== 'none') return 'clip-path';
      if (style.contentVisibility === 'hidden' || style.display === 'none') return 'not rendered';
    }
    if (opacity < MIN_OPACITY) return 'transparent';
    return getComputedStyle(element).visibility === 'visible' ? '' : 'hidden';
  }

  /** True when the topmost element at (x, y) is `element` or inside it (hit tests see through shadow roots to
   *  their hosts, so for a mark this is the mark's host). */
  function onTopAt(element, x, y) {
    const top = document.elementsFromPoint(x, y)[0];
    return Boolean(top) && (top === element || element.contains(top));
  }

  /**
   * Without occlusion tracking (Firefox), a hit test skips `pointer-events: none`, so a page could lay an opaque
   * sheet that lets the pointer through over a mark. For a click, the sheets under the point are made
   * hit-testable for one synchronous hit test and put back as they were (the page's scripts cannot run between).
   */
  function coveredByPassThrough(element, x, y) {
    const sheets = [];
    for (const node of document.querySelectorAll('body *')) {
      if (node === element || node.contains(element) || element.contains(node)) continue;
      if (getComputedStyle(node).pointerEvents !== 'none') continue;
      const r = node.getBoundingClientRect();
      if (x >= r.left && x <= r.right && y >= r.top && y <= r.bottom) {
        sheets.push({ node, css: node.style.cssText, had: node.hasAttribute('style') });
      }
    }
    if (sheets.length === 0) return false;
    for (const { node } of sheets) node.style.setProperty('pointer-events', 'auto', 'important');
    try {
      return !onTopAt(element, x, y);
    } finally {
      for (const { node, css, had } of sheets) {
        node.style.cssText = css; // through the CSSOM: a page's style-src policy cannot block putting it back
        if (!had) node.removeAttribute('style');
      }
    }
  }

  /**
   * Is `element` drawn where the user can see it: at least `minWidth` × `minHeight` px as drawn (a page may shrink
   * it with a transform or `zoom`), on screen, not transparent or hidden by an effect, and on top at `point`
   * (default: the middle of its part inside the viewport)? `strict` (for a click) also looks under sheets that let
   * the pointer through, where the browser cannot track occlusion.
   */
  function visibleNow(element, { point = null, strict = false, minWidth = 1, minHeight = 1 } = {}) {
    if (!element.isConnected || document.hidden) return false;
    const rect = element.getBoundingClientRect();
    if (rect.width < minWidth || rect.height < minHeight) return false;
    const left = Math.max(rect.left, 0);
    const top = Math.max(rect.top, 0);
    const right = Math.min(rect.right, innerWidth);
    const bottom = Math.min(rect.bottom, innerHeight);
    if (right - left < 1 || bottom - top < 1) return false;
    if (hiddenByEffects(element)) return false;
    const x = point ? point.x : (left + right) / 2;
    const y = point ? point.y : (top + bottom) / 2;
    if (!onTopAt(element, x, y)) return false;
    return !(strict && !TRACKS_VISIBILITY && coveredByPassThrough(element, x, y));
  }

  /** An IntersectionObserver that also tracks visibility where the browser can. */
  function observer(callback, threshold) {
    const options = { threshold };
    if (TRACKS_VISIBILITY) Object.assign(options, { trackVisibility: true, delay: 100 });
    return new IntersectionObserver(callback, options);
  }

  /** What an observer entry says: in view and, where tracked, visible; plus the checks of visibleNow(`options`). */
  function entryVisible(entry, options) {
    if (!entry.isIntersecting || document.hidden) return false;
    if (TRACKS_VISIBILITY && !entry.isVisible) return false;
    return visibleNow(entry.target, options);
  }

  globalThis.PapertrayVisibility = Object.freeze({ visibleNow, observer, entryVisible, TRACKS_VISIBILITY });
})();
