"""What a reader's browser meets (issue 20): accessibility by axe-core on every page, in light
and dark mode, and the load of every topic page measured as a page audit does.

Same browser and server as tests/test_browser.py (Debian's chromium through playwright; the
built site on 127.0.0.1 from a plain static server, no compression). axe-core comes from
npm (`make setup` installs it as a dev dependency) and is injected into each page.

Performance, per topic page, over five loads each in a fresh context (an empty cache), at
1280 x 900, the median of each figure:

- **blocking time**: from first contentful paint to the load settling (the load event,
  then no network for 0.5 s, then 1 s), the part over 50 ms of every long task, summed
  (a task begun before the first paint counts from it); ≤ 150 ms;
- **layout shift**: the shifts not caused by input, summed over the load; ≤ 0.02;
- **first-load bytes**: the bodies of every response, search index included (Material's
  search worker fetches it on load); images below the fold are lazy and not fetched;
  ≤ 2.5 MB.
"""

from __future__ import annotations

import os
import statistics
from typing import Any

import pytest

from .test_browser import (  # noqa: F401  (fixtures shared with the other browser tests)
    ROOT,
    Visit,
    browser,
    page_names,
    server,
)
from .test_site import TOPICS

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [pytest.mark.site, pytest.mark.browser]

LIGHT = "(prefers-color-scheme: light)"
DARK = "(prefers-color-scheme: dark)"


def palette_media(page: Any) -> str | None:
    """The `media` of the palette option the reader chose (Material stores it)."""
    return page.evaluate(
        "document.querySelector('form[data-md-component=palette] input:checked')"
        "?.getAttribute('data-md-color-media') ?? null"
    )


def choose_palette(page: Any, media: str) -> None:
    """Click the palette toggle until the explicit palette `media` is chosen: not the
    automatic one (which follows the system setting), even if it shows the same colours."""
    for _ in range(4):
        if palette_media(page) == media:
            break
        page.locator("form[data-md-component=palette] label:visible").first.click()
        page.wait_for_timeout(100)
    assert palette_media(page) == media, f"the palette toggle never reached {media}"
    scheme = page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert scheme == ("default" if media == LIGHT else "slate"), scheme
    page.wait_for_timeout(250)  # Material's colour transitions are 125-250 ms


def scroll_through(page: Any) -> None:
    """Scroll to the end and back, as a reader would. Blocks below the first screen are not
    laid out until shown (content-visibility), so their positions are estimates until then;
    axe-core finds an element's background by hit-testing its position, which needs the
    real layout. Once shown, a block keeps its size."""
    page.evaluate(
        """async () => {
          // a frame, or 100 ms if none comes (a stalled frame once hung the whole run)
          const frame = () =>
            new Promise(r => { requestAnimationFrame(() => r()); setTimeout(r, 100); });
          // shown blocks grow the page as it scrolls; 1,000 half-screens is far past its end
          for (let y = 0, n = 0; y < document.documentElement.scrollHeight && n < 1000;
               y += innerHeight / 2, n++) {
            window.scrollTo(0, y);
            await frame();
            await frame();
          }
          window.scrollTo(0, 0);
          await frame();
        }"""
    )


AXE_RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map(n => ({
      target: n.target.join(" "),
      summary: (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 240),
    })),
  }));
}"""


def violations_report(name: str, palette: str, violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{name} ({palette}): {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    at {node['target']}: {node['summary']}")
        if len(v["nodes"]) > 5:
            lines.append(f"    and {len(v['nodes']) - 5} more elements")
    return "\n".join(lines)


@pytest.mark.parametrize("name", page_names())
def test_page_has_no_axe_violations_in_either_palette(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    name: str,
) -> None:
    if not AXE.exists():
        pytest.fail(f"axe-core not found at {AXE}: run `make setup` (npm ci installs it)")
    visit = Visit(browser, server)
    try:
        page = visit.page
        # The system says dark, the reader chooses light (and then dark) on the toggle.
        page.emulate_media(color_scheme="dark")
        page.goto(f"{server}/{name}", wait_until="networkidle")
        page.add_script_tag(path=str(AXE))
        scroll_through(page)
        report = []
        for media, palette in ((LIGHT, "light"), (DARK, "dark")):
            choose_palette(page, media)
            found = page.evaluate(AXE_RUN)
            if found:
                report.append(violations_report(name, palette, found))
        assert not report, "axe-core violations:\n" + "\n".join(report)
        assert not visit.errors, f"console errors: {visit.errors}"
    finally:
        visit.close()


# Observers installed before the page's own scripts; entries are buffered, so nothing
# before the observer is lost.
OBSERVE = """(() => {
  const perf = window.__dlbPerf = { fcp: null, tasks: [], shifts: [] };
  const watch = (type, each) =>
    new PerformanceObserver(list => list.getEntries().forEach(each))
      .observe({ type, buffered: true });
  watch("paint", e => { if (e.name === "first-contentful-paint") perf.fcp = e.startTime; });
  watch("longtask", e => perf.tasks.push([e.startTime, e.duration]));
  watch("layout-shift", e => {
    if (!e.hadRecentInput) perf.shifts.push([e.startTime, e.value]);
  });
})();"""

LOADS = 5
VIEWPORT = {"width": 1280, "height": 900}
BLOCKING_BUDGET_MS = 150.0
SHIFT_BUDGET = 0.02
BYTES_BUDGET = 2_500_000


def blocking_time(fcp: float, end: float, tasks: list[list[float]]) -> float:
    """Total of the long tasks' time over 50 ms between first contentful paint and `end`."""
    total = 0.0
    for start, duration in tasks:
        inside = min(start + duration, end) - max(start, fcp)
        total += max(0.0, inside - 50.0)
    return total


def load_once(browser: Any, server: str, name: str) -> dict[str, Any]:  # noqa: F811
    context = browser.new_context(viewport=VIEWPORT)
    context.add_init_script(OBSERVE)
    page = context.new_page()
    responses: list[Any] = []
    failed: list[str] = []
    page.on("requestfinished", lambda request: responses.append(request))
    page.on("requestfailed", lambda r: failed.append(r.url))
    try:
        page.goto(f"{server}/{name}/", wait_until="load")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1000)
        perf = page.evaluate("({ ...window.__dlbPerf, end: performance.now() })")
        body_bytes = sum(r.sizes()["responseBodySize"] for r in responses)
        urls = [r.url for r in responses]
    finally:
        context.close()
    assert not failed, f"{name}: failed requests {failed}"
    assert perf["fcp"] is not None, f"{name}: no first contentful paint"
    return {
        "blocking_ms": blocking_time(perf["fcp"], perf["end"], perf["tasks"]),
        "shift": sum(value for _, value in perf["shifts"]),
        "bytes": body_bytes,
        "search_index": any(u.endswith("search/search_index.json") for u in urls),
    }


_LOADS: dict[str, list[dict[str, Any]]] = {}


def page_loads(browser: Any, server: str, topic: str) -> list[dict[str, Any]]:  # noqa: F811
    """The topic page's five cold loads, measured once for the tests below."""
    if topic not in _LOADS:
        _LOADS[topic] = [load_once(browser, server, topic) for _ in range(LOADS)]
    return _LOADS[topic]


def load_figures(topic: str, loads: list[dict[str, Any]]) -> str:
    blocking = statistics.median(load["blocking_ms"] for load in loads)
    shift = statistics.median(load["shift"] for load in loads)
    size = statistics.median(load["bytes"] for load in loads)
    each = ", ".join(f"{load['blocking_ms']:.0f}" for load in loads)
    return (
        f"{topic}: blocking time {blocking:.0f} ms (median of {LOADS} loads: {each}), "
        f"layout shift {shift:.4f} (worst {max(load['shift'] for load in loads):.4f}), "
        f"first load {size / 1e6:.2f} MB; machine load {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores"
    )


@pytest.mark.parametrize("topic", TOPICS)
def test_topic_page_loads_light_and_fast(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    topic: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    loads = page_loads(browser, server, topic)
    assert all(load["search_index"] for load in loads), f"{topic}: search index not loaded"
    shift = statistics.median(load["shift"] for load in loads)
    size = statistics.median(load["bytes"] for load in loads)
    figures = load_figures(topic, loads)
    with capsys.disabled():
        print(f"\n  {figures}")
    problems = []
    if shift > SHIFT_BUDGET:
        problems.append(f"layout shift {shift:.4f} > {SHIFT_BUDGET}")
    if size > BYTES_BUDGET:
        problems.append(f"first load {size / 1e6:.2f} MB > {BYTES_BUDGET / 1e6:.1f} MB")
    assert not problems, f"{topic}: " + "; ".join(problems) + f" ({figures})"


# A known failure, kept visible: measured on an idle 2-core machine the topic pages block
# for 300-380 ms (median of 5 loads), against a budget of 150 ms. The long task is Material's
# bundle mounting its components after the first paint: its reads of element sizes force the
# layout of the whole article (18,000 elements on the optimizers page, half of them KaTeX's),
# and with the bundle blocked the same pages block for about 10 ms. `strict`: once a page
# meets the budget this test fails as XPASS, and the marker goes.
@pytest.mark.xfail(
    strict=True,
    reason="blocking time over its 150 ms budget (Material's component mount; issue 20 open)",
)
@pytest.mark.parametrize("topic", TOPICS)
def test_topic_page_blocking_time_within_budget(
    browser: Any,  # noqa: F811
    server: str,  # noqa: F811
    topic: str,
) -> None:
    loads = page_loads(browser, server, topic)
    blocking = statistics.median(load["blocking_ms"] for load in loads)
    assert blocking <= BLOCKING_BUDGET_MS, (
        f"{topic}: blocking time {blocking:.0f} ms > {BLOCKING_BUDGET_MS:.0f} ms "
        f"({load_figures(topic, loads)})"
    )
