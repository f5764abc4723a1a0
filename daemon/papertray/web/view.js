// Which papers the controls let through, in which order. Pure: papers in, papers out.

function haystack(paper) {
  return [paper.title, paper.summary, (paper.authors || []).join(" "), paper.note, (paper.tags || []).join(" "), paper.id]
    .join("\n")
    .toLowerCase();
}

// Each sort's key; papers without one (no upvotes, never read) go last whatever the direction.
const KEYS = {
  saved: (p) => p.saved_at || p.read_at || "",
  published: (p) => p.published_at || p.daily_date || "",
  upvotes: (p) => p.upvotes || 0,
  read: (p) => p.read_at || "",
  title: (p) => (p.title || p.id).toLowerCase(),
};

export function visiblePapers(papers, { words, show, tag, sort }) {
  const list = papers.filter((paper) => {
    if (show === "read" && !paper.read) return false;
    if (show === "unread" && paper.read) return false;
    if (tag && !(paper.tags || []).includes(tag)) return false;
    if (words.length) {
      const text = haystack(paper);
      return words.every((word) => text.includes(word));
    }
    return true;
  });
  const [name, direction] = sort.split("-");
  const key = KEYS[name] || KEYS.saved;
  const sign = direction === "asc" ? 1 : -1;
  list.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (!x !== !y) return x ? -1 : 1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return order ? sign * order : a.id < b.id ? -1 : 1; // ties in a stable, repeatable order
  });
  return list;
}
