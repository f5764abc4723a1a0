// One mark per paper occurrence: a state badge and a Save toggle, built the way password managers build what they
// draw inside a page, so the page can neither read, restyle nor drive it (reference/security.md, issue 11 item 1):
// - the host is a plain <span> created in this isolated world (no custom element a page could define first and
//   upgrade, no tag, attribute or class that names papertray), with a closed shadow root;
// - every state, and papers papertray does not know, get the same host, the same markup and the same fixed size;
//   the words are drawn from attributes by CSS, so no text node exists for `window.find()` to search;
// - the host's styles are inline `!important`, put back whenever the page touches them, and repeated as
//   `:host { … !important }`, which beats any rule of the page's (inner-context important declarations win);
// - a click acts only when it is a trusted event, the mark has been visibly on screen for a moment where it is
//   now (a mark the page moves is disarmed), and at the click point it is drawn on top, opaque and unfiltered
//   (visibility.js); the words use generic font families only, which no @font-face of the page can replace.
(() => {
  'use strict';
  const { visibleNow, observer, entryVisible } = globalThis.PapertrayVisibility;
  const LABELS = {
    new: { text: '\u25cf New', aria: 'papertray: new paper, not seen before' },
    seen: { text: '\u25cb Seen', aria: 'papertray: seen' },
    saved: { text: '\u25cb Seen', aria: 'papertray: seen' }, // "saved" is the toggle's to say
    read: { text: '\u2713 Read', aria: 'papertray: read' },
    unknown: { text: '\u25cc Untracked', aria: 'papertray: not in your feeds yet' },
    // papertray does not answer (stopped, or another program on its port): said quietly, on the same mark.
    offline: { text: '\u25cc Off', aria: 'papertray is not running; the marks come back when it does' },
  };
  const newVersionLabel = (version) => ({
    text: `\u25cf v${version} new`,
    aria: `papertray: version ${version} of this saved paper is new`,
  });
  const SAVE = { text: '\u2606 Save', pressedText: '\u2605 Saved' };
  // A paper in the top of its day by the user's ranking (issue 14): the badge says so instead of the state, which
  // stays in its spoken label; the ranking's reasons (`why`) are its tooltip. All of it inside the closed shadow.
  const FOR_YOU = { text: '\u2605 For you', aria: 'ranked for you' };
  const WHY_MAX = 160;
  const WIDTH = 156; // px: fits "◌ Untracked" and "★ Saved" in the generic fonts, the same for every state
  const HEIGHT = 20;
  // A mark must have been visible this long before a click on it counts: a page cannot slide one under the
  // pointer just before the user clicks something else.
  const ARM_MS = 500;
  // A mark counts as visible only at its full size: a page that shrinks one to a few pixels (a transform, `zoom`)
  // and puts it where the user will click gets nothing.
  const FULL_SIZE = { minWidth: WIDTH - 1, minHeight: HEIGHT - 1 };
  // The host's box. Every mark on a page has the same size and markup whatever its state; only where it sits
  // differs, by the page's own layout (issue 17 item 5): in a flex row (HF's author/comment row) it takes the free
  // space before the comment count (`margin-left: auto`), so neither the authors nor the count move; in a line of
  // text (an arXiv entry, the end of a title) it adds nothing to the line's height (no vertical margin, 20 px in
  // lines of 21 px and more); after a block it makes a line of its own (the fallback for unknown markup).
  // A row too full for the mark (HF's three-column grid) leaves it the card's bottom padding: there it is pinned,
  // out of the flow, under the row and aligned with the title.
  const MARGINS = { flex: '0 8px 0 auto', inline: '0 0 0 8px', line: '2px 10px 2px 0', pinned: '0' };
  function hostStyle(fit, at = null) {
    // A pinned mark's offsets are its own (inline); the rest of its style is every pinned mark's.
    const offsets = at ? [['left', `${at.left}px`], ['top', `${at.top}px`]] : [];
    const where = fit === 'pinned' ? [['position', 'absolute'], ...offsets] : [['position', 'static']];
    return [
      ['all', 'initial'],
      ['display', 'inline-block'],
      ['box-sizing', 'border-box'],
      ['width', `${WIDTH}px`],
      ['min-width', `${WIDTH}px`],
      ['max-width', `${WIDTH}px`],
      ['height', `${HEIGHT}px`],
      ['min-height', `${HEIGHT}px`],
      ['max-height', `${HEIGHT}px`],
      ['flex', 'none'],
      ['margin', MARGINS[fit]],
      ['padding', '0'],
      ['border', '0'],
      ['vertical-align', 'middle'],
      ['contain', 'strict'],
      ['overflow', 'hidden'],
      ...where,
      ['visibility', 'visible'],
      ['opacity', '1'],
      ['pointer-events', 'auto'],
    ];
  }
  const BODY_CSS = `
    /* Generic families only: a page's @font-face can stand in for any named family, and the glyphs it would be
       asked for (with unicode-range) would tell it which states its probe ids show. */
    .box { display: flex; gap: 4px; align-items: center; width: ${WIDTH}px; height: ${HEIGHT}px; overflow: hidden;
      font: 12px/18px system-ui, sans-serif; white-space: nowrap; }
    .badge, button { box-sizing: border-box; height: ${HEIGHT}px; border-radius: 999px; overflow: hidden;
      text-overflow: clip; flex: none; text-align: center; }
    .badge::before, button::before { content: attr(data-label); }
    .badge { width: 84px; padding: 0 6px; border: 1px solid #dadce0; color: #5f6368; background: #f1f3f4;
      font-weight: 500; }
    .badge[data-state="new"] { color: #0b57d0; background: #e8f0fe; border-color: #aecbfa; font-weight: 600; }
    .badge[data-state="read"] { color: #137333; background: #e6f4ea; border-color: #a8dab5; font-weight: 600; }
    .badge[data-for-you="true"] { color: #7a4f00; background: #fff4d6; border-color: #f5cf6b; font-weight: 600; }
    .badge[data-state="unknown"], .badge[data-state="offline"] { background: transparent; border-style: dashed; }
    .badge[data-state="offline"] { color: #80868b; }
    .badge[data-state="version"] { color: #a14b00; background: #fff4e6; border-color: #f5c28b; font-weight: 600; }
    button { width: 68px; margin: 0; font: inherit; font-weight: 600; padding: 0 6px; border: 1px solid #c4c7cc;
      background: linear-gradient(#fff, #f3f4f6); color: #1f2937; cursor: pointer; }
    button[aria-pressed="true"] { color: #7a4f00; background: #fef3c7; border-color: #f5cf6b; }
    button:hover { border-color: #8b9099; }
    button:focus-visible { outline: 2px solid #0b57d0; outline-offset: -2px; }
    button[aria-busy="true"] { opacity: .6; cursor: progress; }
    /* Dark only when the page itself is (huggingface.co puts "dark" on <html>); the OS setting says nothing
       about arXiv, which is always light. The box carries the page's theme as a class: Firefox has no
       :host-context(), so the marks stayed light on a dark page there (17.8). */
    .box.dark .badge { color: #c4c7c5; background: #2d2f31; border-color: #5f6368; }
    .box.dark .badge[data-state="new"] { color: #a8c7fa; background: #0b2a5c; border-color: #3b6bc4; }
    .box.dark .badge[data-state="read"] { color: #81c995; background: #0d3a1c; border-color: #2e7d46; }
    .box.dark .badge[data-for-you="true"] { color: #fdd663; background: #3d2e00; border-color: #8a6d00; }
    .box.dark .badge[data-state="unknown"], .box.dark .badge[data-state="offline"] { background: transparent; }
    .box.dark .badge[data-state="version"] { color: #ffb870; background: #3d2300; border-color: #8a5200; }
    .box.dark button { color: #e3e3e3; background: #2d2f31; border-color: #5f6368; }
    .box.dark button[aria-pressed="true"] { color: #fdd663; background: #3d2e00; border-color: #8a6d00; }
    .box.dark button:hover { border-color: #9aa0a6; }
  `;
  // The host's inline style as one declaration text per fit (and pinned offsets). Set through the CSSOM in one
  // assignment, never read back: a style that starts with `all` serializes to some 500 longhands (10 kB), and
  // reading it for each of a page's 50 marks was half the time of drawing them (issue 17 item 5).
  // Made once per fit and place: every mark of a batch shares it, and a content script's code runs cold on each
  // page load, where building the same 20 declarations twice for each of 50 marks shows.
  const INLINE = new Map(); // "fit left top" -> declaration text
  function inlineText(fit, at = null) {
    const key = `${fit} ${at?.left} ${at?.top}`;
    let text = INLINE.get(key);
    if (text === undefined) {
      text = hostStyle(fit, at).map(([name, value]) => `${name}: ${value} !important;`).join(' ');
      if (INLINE.size >= 256) INLINE.clear(); // pinned marks of many different cards
      INLINE.set(key, text);
    }
    return text;
  }

  // The shadow's own copy of the host style, `!important`: it outranks every rule of the page's, inline ones too.
  const hostRule = (fit, at = null) => `:host { ${inlineText(fit, at)} }`;

  // The words' stylesheet is one constructed sheet shared by the shadow roots of every mark (adoptedStyleSheets),
  // and so is each fit's :host rule: a page of 50 marks parses two small stylesheets, not 50 copies (issue 17
  // item 5, the marking time). A pinned mark's :host rule carries its own offsets (its `all: initial !important`
  // would reset inline ones), so it is a <style> of its own. Where a content script cannot adopt a sheet it made
  // (checked, not assumed: Firefox's isolated world), each root gets one <style> with all of it.
  const SHEETS = new Map(); // css text -> CSSStyleSheet | null
  function shared(css) {
    if (!SHEETS.has(css)) {
      let sheet = null;
      try {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(css);
      } catch {
        sheet = null;
      }
      SHEETS.set(css, sheet);
    }
    return SHEETS.get(css);
  }
  let adoptable = true;
  function adopt(root, sheets) {
    if (!adoptable || sheets.some((sheet) => !sheet)) return false;
    try {
      root.adoptedStyleSheets = sheets;
      if (root.adoptedStyleSheets.length === sheets.length && root.adoptedStyleSheets[0] === sheets[0]) return true;
    } catch {
      // fall through: <style> elements from now on
    }
    adoptable = false;
    try {
      root.adoptedStyleSheets = [];
    } catch {
      // nothing was adopted
    }
    return false;
  }
  const FIT_SHEETS = new Map(); // fit -> the sheets its marks adopt (a pinned mark adds its own <style>)
  function fitSheets(fit) {
    if (!FIT_SHEETS.has(fit)) FIT_SHEETS.set(fit, [shared(hostRule(fit)), shared(BODY_CSS)]);
    return FIT_SHEETS.get(fit);
  }
  function styleRoot(root, fit, at) {
    let style = root.querySelector('style');
    const own = fit === 'pinned' ? hostRule(fit, at) : '';
    const sheets = own ? [shared(BODY_CSS)] : fitSheets(fit);
    const text = adopt(root, sheets) ? own : `${hostRule(fit, at)}${BODY_CSS}`;
    if (!text) {
      style?.remove();
      return;
    }
    if (!style) {
      style = document.createElement('style');
      root.prepend(style);
    }
    style.textContent = text;
  }

  // One observer for every mark: a mark is armed once it has been visible (in view, unoccluded, opaque) for ARM_MS,
  // and only where it was then: a page that moves an armed mark (under the pointer, say) disarms it.
  const armTimers = new Map(); // host -> timeout
  const armed = new WeakMap(); // host -> {set(bool)}

  function arm(host, mark) {
    clearTimeout(armTimers.get(host));
    armTimers.set(
      host,
      setTimeout(() => {
        armTimers.delete(host);
        mark.set(visibleNow(host, FULL_SIZE));
      }, ARM_MS),
    );
  }

  const visibility = observer((entries) => {
    for (const entry of entries) {
      const mark = armed.get(entry.target);
      if (!mark) continue;
      clearTimeout(armTimers.get(entry.target));
      armTimers.delete(entry.target);
      if (entryVisible(entry, FULL_SIZE)) arm(entry.target, mark);
      else mark.set(false);
    }
  }, [1]);

  /** Where `host` is on the page (document coordinates: scrolling does not move it). */
  function pagePosition(host) {
    const rect = host.getBoundingClientRect();
    return { x: rect.left + scrollX, y: rect.top + scrollY };
  }

  /** Keep the host's inline style ours: the page may rewrite or remove it, or add attributes to the host. Set
   *  through the CSSOM, which a page's Content-Security-Policy does not govern (a style attribute it may). Any
   *  change to the host's attributes that is not ours puts them all back; ours are dropped from the observer's
   *  queue as they are made. Returns restyle(fit, at), for when the mark is placed. */
  function guardHost(host, fit, at) {
    let wanted = inlineText(fit, at);
    const guard = new MutationObserver(() => reassert());
    const reassert = () => {
      for (const name of host.getAttributeNames()) if (name !== 'style') host.removeAttribute(name);
      host.style.cssText = wanted;
      guard.takeRecords();
    };
    reassert();
    guard.observe(host, { attributes: true });
    return (fit, at) => {
      wanted = inlineText(fit, at);
      reassert();
    };
  }

  /** The point a click happened at; a keyboard click has none, so the middle of the button. */
  function clickPoint(event, button) {
    if (event.detail > 0) return { x: event.clientX, y: event.clientY };
    const rect = button.getBoundingClientRect();
    return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
  }

  // What every mark's shadow root holds before its id and state are drawn in: built once in this isolated world
  // and cloned for each mark (the clone is made here too, never from anything the page can reach).
  let template = null;
  function boxTemplate() {
    if (!template) {
      template = document.createElement('span');
      template.className = 'box';
      template.setAttribute('role', 'group');
      const badge = document.createElement('span');
      badge.className = 'badge';
      badge.setAttribute('role', 'img');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.armed = 'false';
      template.append(badge, button);
    }
    return template;
  }

  /**
   * Create a mark for `id`, styled for `first` (its plan, when known). `onToggle(id, wantSaved)` resolves to the
   * new paper view or throws. Returns {host, update(paper, shownState), place(occurrence, plan?), remove()}.
   */
  function createMark(id, onToggle, first = { fit: 'line', at: null }) {
    const host = document.createElement('span');
    let fit = first.fit;
    let at = first.at;
    const restyle = guardHost(host, fit, at);
    const root = host.attachShadow({ mode: 'closed' });
    const box = boxTemplate().cloneNode(true);
    const [badge, button] = box.children;
    box.setAttribute('aria-label', `papertray ${id}`);
    button.setAttribute('aria-label', `Save ${id} to papertray`);
    root.append(box);
    styleRoot(root, fit, at);
    let armedAt = null; // where the mark was when it was armed
    const mark = {
      set(on) {
        armedAt = on ? pagePosition(host) : null;
        button.dataset.armed = String(on);
      },
      moved() {
        const now = pagePosition(host);
        return !armedAt || Math.abs(now.x - armedAt.x) > 2 || Math.abs(now.y - armedAt.y) > 2;
      },
    };
    armed.set(host, mark);

    let saved = false;
    let busy = false; // a save or unsave is on its way
    /** Draw `paper`; `shown` is the state the badge shows (main.js keeps "new" for the rest of the visit). */
    function update(paper, shown = paper?.state) {
      box.classList.toggle('dark', document.documentElement.classList.contains('dark'));
      const state = Object.hasOwn(LABELS, shown) ? shown : 'unknown';
      saved = Boolean(paper?.saved) || paper?.state === 'saved';
      // A saved paper's new version takes the badge's place, beside "Saved": same box, same size (versions.py);
      // else a top-ranked paper says "for you", its why only in the spoken label, inside the closed shadow.
      const live = state !== 'offline';
      const fresh =
        live && saved && Number.isSafeInteger(paper?.new_version) && paper.new_version > 0 ? paper.new_version : 0;
      const forYou = !fresh && live && paper?.for_you === true;
      const why = forYou && typeof paper.why === 'string' ? paper.why.slice(0, WHY_MAX) : '';
      const label = fresh ? newVersionLabel(fresh) : forYou ? FOR_YOU : LABELS[state];
      badge.dataset.state = fresh ? 'version' : state;
      badge.dataset.forYou = String(forYou);
      badge.dataset.label = label.text;
      badge.setAttribute('aria-label', forYou ? `${LABELS[state].aria}; ${FOR_YOU.aria}${why ? `: ${why}` : ''}` : label.aria);
      button.dataset.label = saved ? SAVE.pressedText : SAVE.text;
      button.setAttribute('aria-pressed', String(saved));
      button.title = saved ? `Saved in papertray; click to unsave ${id}` : `Save ${id} to papertray`;
      if (state === 'offline') button.title = 'papertray is not running: start it with `papertray run`.';
      badge.title = state === 'offline' ? LABELS.offline.aria : forYou ? `For you${why ? `: ${why}` : ''}` : '';
    }

    function refuse(why) {
      button.title = why;
    }

    button.addEventListener('click', (event) => {
      // Cards are often links or have click handlers: the page must not navigate because of our button.
      event.preventDefault();
      event.stopPropagation();
      // A page can call click() or dispatch a click; only the user's own input is trusted.
      if (!event.isTrusted || busy) return;
      const moved = button.dataset.armed === 'true' && mark.moved();
      const point = clickPoint(event, button);
      if (button.dataset.armed !== 'true' || moved || !visibleNow(host, { ...FULL_SIZE, point, strict: true })) {
        refuse('papertray ignored this click: the mark was covered, hidden, moved or had just appeared. Click again.');
        if (moved) {
          mark.set(false);
          arm(host, mark); // where it is now, once it has stayed there a moment
        }
        return;
      }
      // Busy, not disabled: disabling the focused button would drop a keyboard user's focus to the page.
      busy = true;
      button.setAttribute('aria-busy', 'true');
      Promise.resolve(onToggle(id, !saved))
        .catch(() => refuse('papertray did not answer; is it running?'))
        .finally(() => {
          busy = false;
          button.removeAttribute('aria-busy');
        });
    });
    host.addEventListener('click', (event) => event.stopPropagation());

    /** Put the mark where `plan(occurrence)` said (the plans of a batch are made before any mark goes in, so the
     *  page is laid out once for all of them). */
    function place(occurrence, where = plan(occurrence)) {
      const { ref } = occurrence;
      if (where.fit === 'pinned') occurrence.container.append(host);
      else if (where.fit === 'flex') ref.before(host);
      else if (occurrence.where === 'append' && where.fit === 'inline') (where.into ?? ref).append(host);
      else ref.after(host);
      const moved = where.at?.left !== at?.left || where.at?.top !== at?.top;
      if (where.fit !== fit || moved) {
        ({ fit, at } = where);
        styleRoot(root, fit, at);
        restyle(fit, at);
      }
      visibility.observe(host);
    }

    function remove() {
      visibility.unobserve(host);
      clearTimeout(armTimers.get(host));
      armTimers.delete(host);
      host.remove();
    }
    return { host, update, place, remove };
  }

  /** Whether the last line of `element`'s text has room for a mark at its end (else appending would wrap it). */
  function roomAtEnd(element) {
    const range = document.createRange();
    range.selectNodeContents(element);
    const lines = range.getClientRects();
    if (!lines.length) return true;
    const last = lines[lines.length - 1];
    return element.getBoundingClientRect().right - last.right >= WIDTH + 16;
  }

  /**
   * Where a mark for `occurrence` goes, read from the page's layout and changing nothing: {fit, at}. Beside the
   * comment count in a flex row with room for it (before the count: the free space is ours, so neither the authors
   * nor the count move); after it in a line of text, where nothing follows that could move; pinned in the card's
   * bottom padding, aligned with the title, when the row is full and the card is a positioned box with the room.
   */
  function plan(occurrence) {
    const { where, ref, container, title } = occurrence;
    if (where === 'append') {
      // The first of the lines offered whose end has room (a title, then the short line beside it).
      const into = [ref, ...(occurrence.alt ?? [])].find((element) => roomAtEnd(element));
      return into ? { fit: 'inline', at: null, into } : { fit: 'line', at: null };
    }
    if (where !== 'row') return { fit: 'line', at: null };
    const row = ref.parentElement;
    if (!/flex/.test(getComputedStyle(row).display)) return { fit: 'inline', at: null };
    let used = 0;
    for (const child of row.children) used += child.getBoundingClientRect().width;
    const rowBox = row.getBoundingClientRect();
    if (rowBox.width - used >= WIDTH + 16) return { fit: 'flex', at: null };
    const card = container.getBoundingClientRect();
    const titleBox = title.getBoundingClientRect();
    if (getComputedStyle(container).position !== 'static' && card.bottom - rowBox.bottom >= HEIGHT + 2) {
      const at = {
        left: Math.round(titleBox.left - card.left - container.clientLeft),
        top: Math.round(rowBox.bottom - card.top - container.clientTop + 1),
      };
      return { fit: 'pinned', at };
    }
    return { fit: 'inline', at: null };
  }

  globalThis.PapertrayMarks = Object.freeze({ createMark, plan, LABELS, WIDTH, HEIGHT });
})();
