"""axe-core (installed by the Makefile from npm) run inside a Playwright page against WCAG 2.1 A and AA.

`violations(page)` loads axe.min.js into the page and returns what it found, one readable line
per element; the context must be made with `bypass_csp=True` (the pages' CSP allows no inline
script, and Playwright adds the library as one).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from service.config import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = ROOT / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
WCAG21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
  .then(result => result.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary || ''}))})))"""


def axe_or_skip() -> Path:
    """The library's path; without it the test skips, except under CI (CI set), where it fails."""
    if AXE.exists():
        return AXE
    message = f"无障碍检查需要 axe-core：{AXE} 不存在（make test 会用 npm 安装）"
    if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
        pytest.fail(f"CI 中不得跳过无障碍检查：{message}")
    pytest.skip(message)


def violations(page: Page) -> list[str]:
    """WCAG 2.1 AA violations of the page as it is now: `rule (impact) target: summary` lines."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(RUN, WCAG21_AA)
    return [f"{v['id']} ({v['impact']}) {node['target']}: {v['help']} — {' '.join(node['summary'].split())}"
            for v in found for node in v["nodes"]]


# The focus ring of the element that has the keyboard focus once the transitions the focus started
# have run, and the colour behind it: the backgrounds laid over each other down to the first opaque
# one (the page is white), from the element's parent out, or from the element for a ring drawn
# inside it. axe does not look at focus rings.
FOCUS_RING = """async () => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  await Promise.all(document.getAnimations()
    .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity).map(a => a.finished.catch(() => null)));
  const style = getComputedStyle(el);
  const layers = [];
  for (let node = parseFloat(style.outlineOffset) < 0 ? el : el.parentElement; node; node = node.parentElement) {
    const [r, g, b, a = 1] = (getComputedStyle(node).backgroundColor.match(/[\\d.]+/g) || []).map(Number);
    if (a > 0) layers.unshift([r, g, b, a]);
    if (a >= 1) break;
  }
  const behind = layers.reduce((under, [r, g, b, a]) => [r, g, b].map((c, i) => c * a + under[i] * (1 - a)),
                               [255, 255, 255]);
  return {element: el.outerHTML.slice(0, 100), style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          ring: style.outlineColor, behind: `rgb(${behind.map(Math.round).join(', ')})`};
}"""


def contrast(first: str, second: str) -> float:
    """The WCAG contrast ratio of two CSS `rgb()`/`rgba()` colours (alpha taken as opaque)."""
    def luminance(colour: str) -> float:
        channels = [float(c) / 255 for c in colour[colour.index("(") + 1:colour.index(")")].split(",")[:3]]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    lighter, darker = sorted((luminance(first), luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def weak_focus_rings(page: Page, stops: int) -> list[str]:
    """Tab through the first `stops` focus stops of a page just opened: each must show an outline at
    least 2 px wide and 3:1 against the colour behind it. The stops that do not, one line each."""
    weak = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring is None:
            break
        ratio = contrast(ring["ring"], ring["behind"])
        if ring["style"] == "none" or ring["width"] < 2 or ratio < 3:
            weak.append(f"{' '.join(ring['element'].split())}: {ring['style']} {ring['width']}px {ring['ring']} 对 {ring['behind']}"
                        f" 为 {ratio:.2f}:1")
    return weak
