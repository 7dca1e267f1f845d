# ruff: noqa: F811 - the fixtures imported from the other browser tests are redefined as arguments
"""Explorables and exercises, used like a reader would, in Chromium.

For every explorable of the site: each slider is moved by keyboard to both ends and to its
middle; the frame, its alt text, the readout and the value text must be the ones the build
listed for that position (the build computed them with the library; the topic tests check
the listed numbers against the library). For every exercise: the build's answer is
accepted, a wrong one is not, the worked solution opens, a prediction reveals its figure.
Progress survives a reload and resets. All of it without console errors or requests to
other hosts, in the light and the dark palette (chosen with the toggle), at 390 px, and
after Material's instant navigation.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .test_browser import PublishedVisit, Visit, browser, server  # noqa: F401 - fixtures
from .test_reader import DARK, LIGHT, choose_palette
from .test_site import SITE, TOPICS

pytestmark = [pytest.mark.site, pytest.mark.browser]


def topic_pages_with(selector_class: str) -> list[str]:
    if not SITE.exists():
        return []
    return [
        t
        for t in TOPICS
        if f'class="{selector_class}"' in (SITE / t / "index.html").read_text("utf-8")
    ]


STATE = """box => {
  const frames = JSON.parse(box.dataset.frames);
  const k = Number(box.dataset.frame);
  const shown = [...box.querySelectorAll('img')]
    .find(img => getComputedStyle(img).display !== 'none');
  return {
    k,
    frame: frames[k],
    count: frames.length,
    src: shown.getAttribute('src'),
    palette: shown.classList.contains('dlb-dark') ? 'dark' : 'light',
    alt: shown.alt,
    readout: box.querySelector('.dlb-explorable-readout').textContent,
    sliders: [...box.querySelectorAll('input[type=range]')].map(input => ({
      value: Number(input.value),
      max: Number(input.max),
      texts: JSON.parse(input.dataset.texts),
      valuetext: input.getAttribute('aria-valuetext'),
      label: input.dataset.label,
      output: box.querySelector(`output[for="${input.id}"]`).textContent,
      width: input.getBoundingClientRect().width,
    })),
  };
}"""


def check_position(state: dict[str, Any]) -> list[str]:
    """What the explorable shows is the frame the build listed for the sliders' positions."""
    problems = []
    expected = 0
    for slider in state["sliders"]:
        expected = expected * (slider["max"] + 1) + slider["value"]
        text = slider["texts"][slider["value"]]
        if slider["output"] != text or slider["valuetext"] != f"{slider['label']} = {text}":
            problems.append(f"slider {slider['label']} reads {slider['output']!r}, not {text!r}")
    frame = state["frame"]
    if state["k"] != expected:
        problems.append(f"frame {state['k']} shown for position {expected}")
    if state["src"] != frame[state["palette"]] or state["alt"] != frame["alt"]:
        problems.append(f"frame {state['k']}: the image is not the build's")
    if state["readout"] != frame["readout"]:
        problems.append(f"frame {state['k']}: readout {state['readout']!r} is not the build's")
    return problems


def exercise_explorables(page: Any) -> list[str]:
    problems = []
    boxes = page.locator(".dlb-explorable")
    for b in range(boxes.count()):
        box = boxes.nth(b)
        box.scroll_into_view_if_needed()
        if box.locator(".dlb-explorable-controls").is_hidden():
            problems.append(f"explorable {b}: its controls never showed")
            continue
        sliders = box.locator("input[type=range]")
        for s in range(sliders.count()):
            slider = sliders.nth(s)
            slider.focus()
            seen = set()
            for keys in (["End"], ["Home"], None):
                if keys is None:  # to the middle, one arrow at a time
                    middle = int(slider.get_attribute("max")) // 2
                    keys = ["ArrowRight"] * middle
                for key in keys:
                    page.keyboard.press(key)
                state = box.evaluate(STATE)
                problems += [f"explorable {b}, slider {s}: {p}" for p in check_position(state)]
                if state["sliders"][s]["width"] < 80:
                    problems.append(
                        f"explorable {b}, slider {s} is {state['sliders'][s]['width']} px wide"
                    )
                seen.add(state["src"])
            if len(seen) < 3 and int(slider.get_attribute("max")) >= 2:
                problems.append(f"explorable {b}, slider {s}: the figure did not change")
            # the image on screen loads (frames beyond the first are fetched on demand)
            loaded = box.evaluate(
                """box => new Promise(done => {
                  const img = [...box.querySelectorAll('img')].find(
                    i => getComputedStyle(i).display !== 'none');
                  img.decode().then(() => done(img.naturalWidth > 0), () => done(false));
                  setTimeout(() => done(false), 5000);
                })"""
            )
            if not loaded:
                problems.append(f"explorable {b}, slider {s}: the frame on screen did not load")
    return problems


@pytest.mark.parametrize("topic", topic_pages_with("dlb-explorable"))
@pytest.mark.parametrize(("width", "media"), [(1280, LIGHT), (1280, DARK), (390, LIGHT)])
def test_explorables_follow_the_keyboard(
    browser: Any, server: str, topic: str, width: int, media: str
) -> None:
    visit = Visit(browser, server)
    try:
        page = visit.page
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server}/{topic}/", wait_until="networkidle")
        choose_palette(page, media)
        problems = exercise_explorables(page)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"the page scrolls sideways by {overflow} px")
        problems += [f"console: {e}" for e in visit.errors]
        problems += [f"foreign request: {u}" for u in visit.foreign]
        assert not problems, "\n".join(problems)
    finally:
        visit.close()


def instant_navigation(page: Any, topic: str) -> None:
    """Follow the site navigation's link to a topic page and wait for its content: Material's
    instant navigation swaps the content in place (it makes the links absolute)."""
    page.locator(f'.md-nav a[href$="/{topic}/"]').first.click()
    page.wait_for_url(f"**/{topic}/")


def test_explorables_and_exercises_survive_instant_navigation(browser: Any) -> None:
    """At the published address (the sitemap's URLs must match the page's for Material to
    navigate instantly), two navigations without a reload: the explorables and exercises of
    the pages reached that way work as after a load."""
    pages = topic_pages_with("dlb-explorable")
    quizzes = topic_pages_with("dlb-exercise")
    if not pages or not quizzes:
        pytest.skip("no explorable or no exercise on the site")
    visit = PublishedVisit(browser)
    try:
        page = visit.page
        page.goto(visit.base, wait_until="networkidle")
        page.evaluate("window.__dlb_marker = 1")  # gone if a link reloads the page
        instant_navigation(page, pages[0])
        page.wait_for_selector(".dlb-explorable[data-dlb-ready]", state="attached")
        assert page.evaluate("window.__dlb_marker") == 1, "the link reloaded the page"
        problems = [f"{pages[0]}: {p}" for p in exercise_explorables(page)]
        other = next(t for t in reversed(quizzes) if t != pages[0])
        instant_navigation(page, other)
        page.wait_for_selector(".dlb-exercise[data-dlb-ready]", state="attached")
        assert page.evaluate("window.__dlb_marker") == 1, "the second link reloaded the page"
        problems += [f"{other}: {p}" for p in try_exercises(page)]
        assert not problems and not visit.errors and not visit.foreign, "\n".join(
            problems + visit.errors + visit.foreign
        )
    finally:
        visit.close()


def answer_numeric(box: Any, value: str) -> str:
    field = box.locator("input[type=text]")
    field.fill(value)
    field.press("Enter")
    return box.locator(".dlb-exercise-feedback").inner_text()


def try_exercises(page: Any) -> list[str]:
    problems = []
    boxes = page.locator(".dlb-exercise")
    for b in range(boxes.count()):
        box = boxes.nth(b)
        name = box.get_attribute("id")
        box.scroll_into_view_if_needed()
        kind = box.get_attribute("data-kind")
        if kind == "numeric":
            answer, tolerance = (
                float(box.get_attribute("data-answer")),
                float(box.get_attribute("data-tolerance")),
            )
            wrong = answer + 10 * tolerance + abs(answer) + 1
            if not answer_numeric(box, repr(wrong)).startswith("Not yet"):
                problems.append(f"{name}: a wrong answer {wrong} was accepted")
            if not answer_numeric(box, box.get_attribute("data-answer")).startswith("Right"):
                problems.append(f"{name}: the build's answer was refused")
        else:
            right = int(box.get_attribute("data-answer"))
            radios = box.locator("input[type=radio]")
            reveal = box.locator(".dlb-exercise-reveal")
            if kind == "predict" and not reveal.is_hidden():
                problems.append(f"{name}: the figure shows before the guess")
            if kind == "choice":
                wrong = (right + 1) % radios.count()
                radios.nth(wrong).check()
                box.locator("button[type=submit]").click()
                if not box.locator(".dlb-exercise-feedback").inner_text().startswith("Not quite"):
                    problems.append(f"{name}: a wrong option was accepted")
            radios.nth(right).check()
            box.locator("button[type=submit]").click()
            feedback = box.locator(".dlb-exercise-feedback").inner_text()
            if "right" not in feedback.lower():
                problems.append(f"{name}: the right option got {feedback!r}")
            if kind == "predict" and reveal.is_hidden():
                problems.append(f"{name}: the figure stayed hidden after the guess")
        box.locator("details > summary").first.click()
        if box.locator("details").first.get_attribute("open") is None:
            problems.append(f"{name}: the worked solution does not open")
        if box.get_attribute("data-state") != "solved":
            problems.append(f"{name}: not marked solved")
    return problems


@pytest.mark.parametrize("topic", topic_pages_with("dlb-exercise"))
@pytest.mark.parametrize(("width", "media"), [(1280, LIGHT), (1280, DARK), (390, DARK)])
def test_exercises_check_answers_and_keep_progress(
    browser: Any, server: str, topic: str, width: int, media: str
) -> None:
    visit = Visit(browser, server)
    try:
        page = visit.page
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server}/{topic}/", wait_until="networkidle")
        choose_palette(page, media)
        count = page.locator(".dlb-exercise").count()
        progress = page.locator(".dlb-exercise-progress .dlb-exercise-count")
        assert progress.inner_text().startswith(f"0 of {count} ")
        problems = try_exercises(page)
        assert progress.inner_text().startswith(f"{count} of {count} "), progress.inner_text()
        page.reload(wait_until="networkidle")
        kept = page.locator(".dlb-exercise-progress .dlb-exercise-count").inner_text()
        if not kept.startswith(f"{count} of {count} "):
            problems.append(f"after a reload: {kept!r}")
        stored = json.loads(page.evaluate("localStorage.getItem('dlb-exercises')"))
        if sorted(stored.get(f"{topic}/", [])) != sorted(
            page.eval_on_selector_all(".dlb-exercise", "els => els.map(e => e.id)")
        ):
            problems.append(f"localStorage holds {stored}")
        page.locator(".dlb-exercise-progress .dlb-exercise-reset").click()
        after = page.locator(".dlb-exercise-progress .dlb-exercise-count").inner_text()
        if not after.startswith(f"0 of {count} "):
            problems.append(f"after reset: {after!r}")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        if overflow > 0:
            problems.append(f"the page scrolls sideways by {overflow} px")
        problems += [f"console: {e}" for e in visit.errors]
        problems += [f"foreign request: {u}" for u in visit.foreign]
        assert not problems, "\n".join(problems)
    finally:
        visit.close()


def test_the_home_page_lists_every_pages_progress(browser: Any, server: str) -> None:
    listing = json.loads((SITE / "exercises.json").read_text("utf-8"))
    if not listing:
        pytest.skip("no exercise on the site")
    visit = Visit(browser, server)
    try:
        page = visit.page
        topic = next(iter(listing))
        page.goto(f"{server}/{topic}", wait_until="networkidle")
        box = page.locator(".dlb-exercise").first
        if box.get_attribute("data-kind") == "numeric":
            answer_numeric(box, box.get_attribute("data-answer"))
        else:
            box.locator("input[type=radio]").nth(int(box.get_attribute("data-answer"))).check()
            box.locator("button[type=submit]").click()
        page.goto(f"{server}/", wait_until="networkidle")
        overview = page.locator(".dlb-exercise-progress-all")
        overview.locator("li").first.wait_for()
        lines = overview.locator("li").all_inner_texts()
        assert len(lines) == len(listing)
        assert f"{topic.rstrip('/')}: 1 of {len(listing[topic])} solved" in lines
        overview.locator(".dlb-exercise-reset").click()
        assert (
            f"{topic.rstrip('/')}: 0 of {len(listing[topic])} solved"
            in overview.locator("li").all_inner_texts()
        )
        assert not visit.errors and not visit.foreign, visit.errors + visit.foreign
    finally:
        visit.close()
