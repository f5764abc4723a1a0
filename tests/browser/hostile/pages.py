"""Hostile fixture pages: huggingface.co list pages (where the shipped content script runs) whose own script attacks
the marks the way a malicious or curious site would (issue 11 item 1). Each page links to probe papers, one card per
id, and its script:

- defines, before any mark exists, the custom element name the extension used to use and patches
  `attachShadow`, so an upgraded mark or a shadow root made with the page's prototypes would be caught;
- watches every element it did not create arrive, and offers `probe()` (what it can learn: sizes, styles, markup,
  text through `window.find()` and selections, performance entries), `restyle()`, `clickAll()` (every
  programmatic click it can think of) and overlays for decoys.

The test reads what the page learned with `page.evaluate("probe()")`, from the page's own world.
"""

from __future__ import annotations

import html
import json

# Everything the page can compare between two marks. Identical values for every probe id = nothing learned.
ATTACK_SCRIPT = r"""
window.loot = { upgraded: [], shadowRoots: 0, internals: [] };
class Thief extends HTMLElement {
  constructor() {
    super();
    try { this.stolen = this.attachInternals(); window.loot.internals.push(this.stolen); } catch (e) {}
  }
  connectedCallback() { window.loot.upgraded.push(this); }
}
for (const name of ['papertray-mark', 'papertray-badge', 'pt-mark', 'paper-tray-mark']) {
  customElements.define(name, class extends Thief {});
}
const realAttach = Element.prototype.attachShadow;
Element.prototype.attachShadow = function (init) { window.loot.shadowRoots += 1; return realAttach.call(this, init); };

// Every element that arrives after the page was parsed and that the page did not make itself: the marks.
const mine = new WeakSet();
let parsed = null;
document.addEventListener('DOMContentLoaded', () => { parsed = new Set(document.querySelectorAll('*')); });
window.foreign = [];
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType === 1 && parsed && !parsed.has(n) && !mine.has(n)) window.foreign.push(n);
  }
}).observe(document, { childList: true, subtree: true });

function markOf(id) {
  const card = document.querySelector(`article[data-id="${CSS.escape(id)}"]`);
  return window.foreign.find((n) => card && card.contains(n)) ?? null;
}
window.markOf = markOf;

const WORDS = ['Saved', 'Save', 'Unsave', 'Seen', 'Read', 'New', 'Untracked', 'papertray', 'Not in'];
function findable() {
  const out = {};
  for (const word of WORDS) {
    getSelection().removeAllRanges();
    out[word] = window.find(word, true, false, true);
    if (out[word]) out[word] = String(getSelection().toString());
  }
  getSelection().removeAllRanges();
  return out;
}

function snapshot(el) {
  if (!el) return null;
  const style = getComputedStyle(el);
  const computed = {};
  for (let i = 0; i < style.length; i++) computed[style[i]] = style.getPropertyValue(style[i]);
  const r = el.getBoundingClientRect();
  getSelection().selectAllChildren(el);
  const selected = getSelection().toString();
  getSelection().removeAllRanges();
  const range = document.createRange();
  range.selectNode(el);
  // Hit-testing APIs that have handed out nodes inside shadow roots in some browsers: at the badge and the button.
  const reached = [];
  for (const x of [r.left + 10, r.right - 10]) {
    const y = r.top + r.height / 2;
    const caret = document.caretPositionFromPoint?.(x, y)?.offsetNode
      ?? document.caretRangeFromPoint?.(x, y)?.startContainer;
    for (const node of [caret, document.elementFromPoint(x, y), ...document.elementsFromPoint(x, y)]) {
      if (node && node.getRootNode() !== document) {
        reached.push(node.nodeName + ' ' + (node.getAttribute?.('data-label') ?? node.textContent));
      }
    }
  }
  return {
    outer: el.outerHTML, tag: el.tagName, attributes: el.getAttributeNames(),
    width: r.width, height: r.height, offsetWidth: el.offsetWidth, offsetHeight: el.offsetHeight,
    scrollWidth: el.scrollWidth, scrollHeight: el.scrollHeight, clientWidth: el.clientWidth,
    rects: el.getClientRects().length, rangeWidth: range.getBoundingClientRect().width,
    text: el.textContent, inner: el.innerText, selected, shadowRoot: String(el.shadowRoot),
    computed, children: el.childNodes.length, reached,
    canAttach: (() => { try { realAttach.call(el, { mode: 'open' }); return true; } catch (e) { return e.name; } })(),
  };
}

window.probe = (ids) => ({
  marks: Object.fromEntries(ids.map((id) => [id, snapshot(markOf(id))])),
  upgraded: window.loot.upgraded.length,
  internals: window.loot.internals.map((i) => String(i.shadowRoot)),
  shadowRoots: window.loot.shadowRoots,
  find: findable(),
  timeline: performance.getEntries().map((e) => e.name).filter((n) => /papertray|mark/i.test(n)),
  userMarks: performance.getEntriesByType('mark').map((e) => e.name),
  html: (() => {  // the markup outside the page's own scripts (which name papertray themselves)
    const copy = document.documentElement.cloneNode(true);
    for (const script of copy.querySelectorAll('script')) script.remove();
    return /papertray/i.test(copy.outerHTML);
  })(),
  globals: Object.keys(window).filter((k) => /papertray/i.test(k)),
});

window.restyle = () => {
  const sheet = document.createElement('style');
  sheet.dataset.own = '';
  mine.add(sheet);
  sheet.textContent = `article span:not([data-own]) { all: revert !important; display: none !important;
    opacity: 0 !important; width: 1px !important; position: absolute !important; transform: scale(0) !important; }`;
  document.head.append(sheet);
  for (const el of window.foreign) {
    el.setAttribute('style', 'display: none !important; opacity: 0 !important');
    el.style.setProperty('visibility', 'hidden', 'important');
    el.setAttribute('hidden', '');
    el.className = 'decoy';
    el.animate([{ opacity: 0 }, { opacity: 0 }], { duration: 1e9, fill: 'forwards' });
  }
};

window.clickAll = () => {
  let n = 0;
  for (const el of window.foreign) {
    const r = el.getBoundingClientRect();
    const at = { bubbles: true, composed: true, cancelable: true, clientX: r.left + r.width - 20, clientY: r.top + 10 };
    el.click();
    el.dispatchEvent(new MouseEvent('click', at));
    el.dispatchEvent(new PointerEvent('pointerdown', at));
    el.dispatchEvent(new PointerEvent('pointerup', at));
    el.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, composed: true }));
    el.dispatchEvent(new KeyboardEvent('keydown', { key: ' ', bubbles: true, composed: true }));
    const top = document.elementFromPoint(at.clientX, at.clientY);
    if (top) top.click();
    el.focus();
    for (const inner of el.querySelectorAll('*')) inner.click();
    // The attack of issue 11 item 1: a mark upgraded to the page's class hands over its closed root.
    for (const inner of el.stolen?.shadowRoot?.querySelectorAll('button') ?? []) inner.click();
    n += 1;
  }
  return n;
};

// Move a mark (already armed where it was) so that its button is at the viewport point (x, y), under the pointer.
window.slideUnder = (id, x, y) => {
  const el = markOf(id);
  const holder = document.createElement('div');
  mine.add(holder);
  Object.assign(holder.style, { position: 'fixed', left: '0px', top: '0px', zIndex: 99999 });
  document.body.append(holder);
  holder.append(el);
  const r = el.getBoundingClientRect(); // the button is the right-hand part of the mark
  Object.assign(holder.style, { left: `${x - (r.right - 30)}px`, top: `${y - (r.top + r.height / 2)}px` });
  return true;
};

// An opaque sheet over a whole card that lets the pointer through: the card looks empty.
window.coverCard = (id) => {
  const r = document.querySelector(`article[data-id="${CSS.escape(id)}"]`).getBoundingClientRect();
  const sheet = document.createElement('div');
  mine.add(sheet);
  Object.assign(sheet.style, {
    position: 'absolute', left: `${r.left + scrollX - 2}px`, top: `${r.top + scrollY - 2}px`,
    width: `${r.width + 4}px`, height: `${r.height + 4}px`, background: '#fff', pointerEvents: 'none',
  });
  document.body.append(sheet);
};

// Put an opaque decoy over a mark; `passThrough` lets the real click reach the mark underneath (the clickjack).
window.cover = (id, passThrough, vanishOnPress) => {
  const el = markOf(id);
  const r = el.getBoundingClientRect();
  const decoy = document.createElement('div');
  decoy.dataset.own = '';
  mine.add(decoy);
  decoy.textContent = 'Claim your prize';
  Object.assign(decoy.style, {
    position: 'fixed', left: `${r.left - 4}px`, top: `${r.top - 4}px`, width: `${r.width + 8}px`,
    height: `${r.height + 8}px`, background: '#fff', color: '#000', zIndex: 99999, font: '12px sans-serif',
    pointerEvents: passThrough ? 'none' : 'auto',
  });
  document.body.append(decoy);
  if (vanishOnPress) {
    // Away the moment the button goes down, so the click lands on a mark that was hidden until then.
    window.addEventListener('pointerdown', () => decoy.remove(), { capture: true, once: true });
  }
  return true;
};
"""

# Fonts the page defines under every family name a mark might ask for, for the symbols the states use: a request
# for one would tell the page which symbols (so which states) its probe ids were drawn with.
FONT_NAMES = ("system-ui", "-apple-system", "Segoe UI", "sans-serif", "Helvetica", "Arial", "DejaVu Sans", "Roboto")
FONT_TRAPS = "".join(
    f'@font-face {{ font-family: "{name}"; src: url(/font-probe/{n}.woff2); unicode-range: U+2020-27FF; }}'
    for n, name in enumerate(FONT_NAMES)
) + "".join(
    f"@font-face {{ font-family: {name}; src: url(/font-probe/bare-{n}.woff2); unicode-range: U+2020-27FF; }}"
    for n, name in enumerate(FONT_NAMES[:2])
)
CARD_CSS = (
    FONT_TRAPS
    + """
body { margin: 0; font: 15px/1.4 system-ui, sans-serif; }
main { padding: 16px; }
article { display: block; margin: 0 0 12px; padding: 8px 12px; border: 1px solid #ddd; border-radius: 8px; }
h3 { display: inline; margin: 0; font-size: 16px; }
"""
)


def hostile_page(
    title: str, probes: list[tuple[str, str]], *, css: str = "", covered: tuple[str, ...] = (), csp: str = ""
) -> str:
    """A Hugging Face list page with one card per `(id, card style)`, the attack script in its head, the
    `covered` cards under an opaque sheet that lets clicks through, and an optional Content-Security-Policy."""
    cards = "".join(
        f'<article data-id="{html.escape(pid)}" style="{html.escape(style)}">'
        f'<h3><a href="/papers/{html.escape(pid)}">Probe {html.escape(pid)}</a></h3> <span data-own>by someone</span>'
        "</article>"
        for pid, style in probes
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
{f'<meta http-equiv="Content-Security-Policy" content="{html.escape(csp)}">' if csp else ""}
<style>{CARD_CSS}{css}</style>
<script>{ATTACK_SCRIPT}</script></head>
<body><main><h1>{html.escape(title)}</h1>{cards}</main>
<script>window.probeIds = {json.dumps([pid for pid, _ in probes])};
for (const id of {json.dumps(list(covered))}) window.coverCard(id);</script></body></html>"""
