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
  const CSS = `
    :host { all: initial; display: inline-flex; vertical-align: middle; margin: 2px 0 2px 6px; }
    .box { display: inline-flex; gap: 6px; align-items: center; font: 12px/1.4 system-ui, sans-serif; }
    .badge { padding: 1px 6px; border-radius: 9px; border: 1px solid currentColor; color: #444; background: #fff; }
    .badge[data-state="new"] { color: #0b57d0; font-weight: 600; }
    .badge[data-state="saved"] { color: #8a5a00; font-weight: 600; }
    .badge[data-state="read"] { color: #137333; }
    button { font: inherit; padding: 1px 8px; border-radius: 9px; border: 1px solid #888; background: #f6f6f6;
      color: #222; cursor: pointer; }
    button:focus-visible { outline: 2px solid #0b57d0; outline-offset: 1px; }
    button[disabled] { opacity: .6; cursor: progress; }
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
