// One mark per paper occurrence: a state badge readable without colour (text plus an aria-label) and a
// save/unsave button, inside a closed shadow root so the page can neither restyle nor read it. Built with
// createElement and textContent only.
(() => {
  'use strict';
  const LABELS = {
    new: { text: '\u25cf New', aria: 'papertray: new paper, not seen before' },
    seen: { text: '\u25cb Seen', aria: 'papertray: seen' },
    saved: { text: '\u2605 Saved', aria: 'papertray: saved' },
    read: { text: '\u2713 Read', aria: 'papertray: read' },
    unknown: { text: '? Not in papertray', aria: 'papertray: not in papertray yet' },
  };
  // Pills in the sites' own idiom (rounded, light tints, system font) so the mark reads as part of the card; the
  // tint is a second cue, the text and aria-label carry the state. The button's star is decoration from CSS, so
  // the accessible name stays "Save"/"Unsave".
  const CSS = `
    :host { all: initial; display: inline-flex; vertical-align: middle; margin: 2px 10px 2px 6px; }
    .box { display: inline-flex; gap: 6px; align-items: center; font: 12px/18px system-ui, -apple-system,
      "Segoe UI", sans-serif; white-space: nowrap; }
    .badge { padding: 0 8px; border-radius: 999px; border: 1px solid #dadce0; color: #5f6368; background: #f1f3f4;
      font-weight: 600; }
    .badge[data-state="new"] { color: #0b57d0; background: #e8f0fe; border-color: #aecbfa; }
    .badge[data-state="saved"] { color: #7a4f00; background: #fef3c7; border-color: #f5cf6b; }
    .badge[data-state="read"] { color: #137333; background: #e6f4ea; border-color: #a8dab5; }
    .badge[data-state="seen"] { font-weight: 500; }
    .badge[data-state="unknown"] { background: transparent; border-style: dashed; font-weight: 500; }
    button { font: inherit; font-weight: 600; padding: 0 9px 0 7px; border-radius: 999px; border: 1px solid #c4c7cc;
      background: linear-gradient(#fff, #f3f4f6); color: #1f2937; cursor: pointer; }
    button::before { content: "\\2606" / ""; margin-right: 4px; color: #b45309; }
    button[aria-pressed="true"]::before { content: "\\2605" / ""; }
    button:hover { border-color: #8b9099; background: #f3f4f6; }
    button:focus-visible { outline: 2px solid #0b57d0; outline-offset: 1px; }
    button[disabled] { opacity: .6; cursor: progress; }
    /* Dark only when the page itself is (huggingface.co puts "dark" on <html>); the OS setting says nothing
       about arXiv, which is always light. */
    :host-context(.dark) .badge { color: #c4c7c5; background: #2d2f31; border-color: #5f6368; }
    :host-context(.dark) .badge[data-state="new"] { color: #a8c7fa; background: #0b2a5c; border-color: #3b6bc4; }
    :host-context(.dark) .badge[data-state="saved"] { color: #fdd663; background: #3d2e00; border-color: #8a6d00; }
    :host-context(.dark) .badge[data-state="read"] { color: #81c995; background: #0d3a1c; border-color: #2e7d46; }
    :host-context(.dark) .badge[data-state="unknown"] { background: transparent; }
    :host-context(.dark) button { color: #e3e3e3; background: #2d2f31; border-color: #5f6368; }
    :host-context(.dark) button:hover { background: #3c4043; border-color: #9aa0a6; }
    :host-context(.dark) button::before { color: #fdd663; }
  `;

  /**
   * Create a mark for `id`. `onToggle(id, wantSaved)` resolves to the new paper view or throws.
   * Returns {host, update(paper), place(occurrence)}.
   */
  function createMark(id, onToggle) {
    const host = document.createElement('papertray-mark');
    const root = host.attachShadow({ mode: 'closed' });
    const style = document.createElement('style');
    style.textContent = CSS;
    const box = document.createElement('span');
    box.className = 'box';
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', `papertray ${id}`);
    const badge = document.createElement('span');
    badge.className = 'badge';
    badge.setAttribute('role', 'img');
    const button = document.createElement('button');
    button.type = 'button';
    box.append(badge, button);
    root.append(style, box);

    let saved = false;
    function update(paper) {
      const state = Object.hasOwn(LABELS, paper?.state) ? paper.state : 'unknown';
      saved = Boolean(paper?.saved) || state === 'saved';
      badge.dataset.state = state;
      badge.textContent = LABELS[state].text;
      badge.setAttribute('aria-label', LABELS[state].aria);
      button.textContent = saved ? 'Unsave' : 'Save';
      button.setAttribute('aria-pressed', String(saved));
      button.setAttribute('aria-label', saved ? `Remove ${id} from papertray saves` : `Save ${id} to papertray`);
      button.title = button.getAttribute('aria-label');
    }

    button.addEventListener('click', (event) => {
      // Cards are often links or have click handlers: the page must not navigate because of our button.
      event.preventDefault();
      event.stopPropagation();
      button.disabled = true;
      Promise.resolve(onToggle(id, !saved))
        .catch(() => {
          button.title = 'papertray did not answer; is it running?';
        })
        .finally(() => {
          button.disabled = false;
        });
    });
    host.addEventListener('click', (event) => event.stopPropagation());

    function place(occurrence) {
      if (occurrence.where === 'append') occurrence.ref.append(host);
      else occurrence.ref.after(host);
    }
    return { host, update, place };
  }

  globalThis.PapertrayMarks = Object.freeze({ createMark, LABELS });
})();
