"""axe-core (npm, node_modules/axe-core) run inside a real page, and the contrast checks axe cannot make (a hovered
button, a focus ring). The script goes in through the driver's evaluate, which a page's Content-Security-Policy
does not govern, so the page under test is served exactly as shipped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")

# Every violation as "rule (impact): help — targets"; only serious and critical ones are returned.
RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact)).map((v) =>
    `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 5).join(", ")}`);
}"""

# The contrast ratio (WCAG 2) of two computed colours; `rgba` with alpha 0 counts as the page's background.
CONTRAST = """(pair) => {
  const parse = (c) => c.match(/[0-9.]+/g).slice(0, 3).map(Number);
  const lum = (c) => {
    const linear = (v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    const [r, g, b] = parse(c).map((v) => linear(v / 255));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [a, b] = pair.map(lum).sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""

# What a user sees of an element: its text colour on its own background, or the first opaque one behind it; and its
# outline colour on that same background.
COLOURS = """(el) => {
  const behind = (node) => {
    for (let n = node; n; n = n.parentElement) {
      const bg = getComputedStyle(n).backgroundColor;
      if (!/rgba\\(.*, 0\\)$/.test(bg) && bg !== "transparent") return bg;
    }
    return getComputedStyle(document.documentElement).backgroundColor;
  };
  const style = getComputedStyle(el);
  return { text: style.color, background: behind(el), outline: style.outlineColor, ring: behind(el.parentElement),
           outlineStyle: style.outlineStyle };
}"""


def axe_source() -> str:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: run `make node-deps` (npm ci installs axe-core)")
    return AXE.read_text(encoding="utf-8") + "\n;typeof axe"


def summary(violations: list[Any]) -> str:
    return "\n".join(str(v) for v in violations)
