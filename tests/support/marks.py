"""A mark as a user perceives it, the same for every browser driver (tests/browser/extension.py for Chromium,
tests/support/firefox.py for Firefox): each reads the marks its own way (the DevTools DOM domain with `pierce`,
WebDriver BiDi with `includeShadowTree`) and hands back these."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mark:
    """One mark: which paper, its badge text and label, and the button."""

    id: str
    state: str
    text: str
    label: str
    button: str
    pressed: bool
    container: str  # the closest card-like ancestor: ARTICLE (HF card), DT (arXiv entry), LI, or ""
    armed: bool  # took clicks when read: it had been visible (in view, uncovered, opaque) for a moment
    ref: str  # the driver's handle on the button, for clicking: a CDP backend node id, or a BiDi shared id
