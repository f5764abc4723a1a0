// Keyboard shortcuts. They act on the "current" card: the one holding the focus, else the last one j/k moved to.
// While the user types in a field only Escape (leave the field) and Ctrl+Z outside text fields are ours: the
// browser's own undo inside a field is never taken away.

export const SHORTCUTS = [
  ["/", "Search"],
  ["j / k", "Next / previous paper"],
  ["o", "Show more or less of the paper"],
  ["x", "Select the paper"],
  ["r", "Mark read or unread"],
  ["t", "Add a tag"],
  ["n", "Write a note"],
  ["Ctrl+Z", "Undo the last removal"],
  ["?", "This help"],
  ["Esc", "Leave a field, close this help"],
];

const NOT_TEXT = new Set(["checkbox", "radio", "button", "submit", "reset"]);

function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.tagName === "INPUT") return !NOT_TEXT.has(target.type);
  return target.isContentEditable || target.tagName === "TEXTAREA" || target.tagName === "SELECT";
}

export function fillHelp(list) {
  list.replaceChildren(
    ...SHORTCUTS.flatMap(([key, what]) => {
      const dt = document.createElement("dt");
      const kbd = document.createElement("kbd");
      kbd.textContent = key;
      dt.append(kbd);
      const dd = document.createElement("dd");
      dd.textContent = what;
      return [dt, dd];
    }),
  );
}

// `page`: { cards() → [li], search(), help(), undo(), toggleRead(li), tag(li), note(li), open(li), select(li) }
export function installShortcuts(page) {
  let last = null;
  const current = () => {
    const focused = document.activeElement && document.activeElement.closest("li.card");
    if (focused && focused.isConnected) return focused;
    return last && last.isConnected ? last : null;
  };
  const move = (step) => {
    const cards = page.cards();
    if (!cards.length) return;
    const at = cards.indexOf(current());
    const next = cards[Math.min(cards.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
    last = next;
    next.focus();
  };
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey || event.metaKey) return;
    if (event.key === "Escape") {
      if (typing(event.target)) {
        const card = event.target.closest("li.card");
        if (card) card.focus();
        else event.target.blur();
      }
      return;
    }
    if (typing(event.target)) return;
    if (event.ctrlKey) {
      if (event.key.toLowerCase() === "z" && page.undo()) event.preventDefault();
      return;
    }
    const card = current();
    const actions = {
      "/": () => page.search(),
      "?": () => page.help(),
      j: () => move(1),
      k: () => move(-1),
      r: () => card && page.toggleRead(card),
      t: () => card && page.tag(card),
      n: () => card && page.note(card),
      o: () => card && page.open(card),
      x: () => card && page.select(card),
    };
    const act = actions[event.key];
    if (act) {
      event.preventDefault();
      act();
    }
  });
  return { remember: (li) => (last = li) };
}
