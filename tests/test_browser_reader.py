"""The reader's site in headless Chromium: the header on a phone, the nav's wrapping, the company chart's months
and axe on the pages this part changed (the browser, the server and axe come from tests/test_browser.py)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading

import pytest

from conftest import REPO, SEED_SLUG, minimal_front, write_article
from site_builder.engine.build import build
from site_builder.outputs.theme import PACKAGE_THEME
from test_browser import PAGES, SUBPATH, _Quiet, assert_axe_clean, browser, open_page, served  # noqa: F401

HEADER_BUDGET = 0.15 * 844  # px of a 390x844 phone's viewport the header may take before the headline
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]  # the spread archive's months


@pytest.fixture(scope="session")
def spread_site(tmp_path_factory) -> tuple[str, str]:
    """(URL, company page path): the real archive plus MiniMax in March and May 2026 and GigaDevice in June 2026,
    built and served under SUBPATH; MiniMax's page carries a chart."""
    project = tmp_path_factory.mktemp("spread")
    shutil.copytree(REPO / "seeds", project / "seeds")
    for name, when, companies in [
        ("mm-march", "2026-03-05T10:00:00+08:00", "[minimax]"),
        ("mm-may", "2026-05-20T10:00:00+08:00", "[minimax]"),
        ("gd-june", "2026-06-01T10:00:00+08:00", "[gigadevice-semiconductor]"),
    ]:
        write_article(project, f"{name}.md", minimal_front(f"Story {name}", when, companies), "MiniMax, named.\n")
    root = project / "www"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    base = f"http://127.0.0.1:{server.server_port}{SUBPATH}"
    build(project / "seeds", root / SUBPATH.strip("/"), PACKAGE_THEME, {"base_url": base})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, "companies/minimax/index.html"
    server.shutdown()
    server.server_close()


LAYOUT = """
const box = e => e ? e.getBoundingClientRect() : null;
const items = [...document.querySelectorAll('.site-header nav li')].map(li => Math.round(box(li).top));
return {header: box(document.querySelector('.site-header')).bottom,
        h1: box(document.querySelector('main h1')).top, items: items,
        scroll: document.documentElement.scrollWidth};
"""


def test_the_header_leaves_the_headline_within_the_first_15_percent_of_a_phone(browser, served):
    base, _ = served
    open_page(browser, base, PAGES["article"], width=390)
    layout = browser.execute_script(LAYOUT)
    assert layout["header"] <= HEADER_BUDGET, layout
    assert layout["h1"] <= HEADER_BUDGET, layout  # the headline itself starts within it
    assert layout["scroll"] <= 390


@pytest.mark.parametrize("width", [390, 320])
@pytest.mark.parametrize("kind", ["article", "home", "search", "company index"])
def test_no_nav_item_wraps_alone_onto_a_line(browser, served, kind, width):
    base, _ = served
    open_page(browser, base, PAGES[kind], width=width)
    tops = browser.execute_script(LAYOUT)["items"]
    assert len(tops) == 5
    lines = sorted(set(tops))
    if width == 390:
        assert len(lines) == 1, tops  # a 390 px phone has room for the whole nav on one line
    assert len(lines) == 1 or tops.count(lines[-1]) >= 2, tops


def test_the_company_chart_has_one_slot_per_month_of_the_archive(browser, spread_site):
    base, path = spread_site
    for width in (1280, 390):
        open_page(browser, base, path, width=width)
        chart = browser.execute_script("""
          const svg = document.querySelector('svg.chart'), s = svg.getBoundingClientRect();
          const rects = [...svg.querySelectorAll('rect[data-month]')].map(r => {
            const b = r.getBoundingClientRect();
            return {month: r.dataset.month, bar: r.classList.contains('bar'), left: b.left, width: b.width,
                    height: b.height};});
          return {rects: rects, labels: [...svg.querySelectorAll('text.label')].map(t => t.textContent),
                  left: s.left, right: s.right, width: document.documentElement.clientWidth};""")
        rects = chart["rects"]
        assert [r["month"] for r in rects] == MONTHS
        assert [r["month"] for r in rects if r["bar"]] == ["2026-01", "2026-03", "2026-05"]
        assert all(r["width"] > 0 for r in rects)
        lefts = [r["left"] for r in rects]
        assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts)  # left to right, one slot each
        assert chart["left"] <= lefts[0] and lefts[-1] + rects[-1]["width"] <= chart["right"] <= chart["width"]
        assert chart["labels"][-2:] == ["Jan 2026", "Jun 2026"]
        assert all(r["height"] > 2 for r in rects if r["bar"])


SPREAD_PAGES = {
    "home": "index.html",
    "article": f"articles/{SEED_SLUG}/index.html",
    "company": "companies/minimax/index.html",
    "rare company": "companies/shanghai-biren-technology/index.html",
    "companies": "companies/index.html",
    "archive": "archive/index.html",
    "404": "404.html",
}


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [390, 320])
@pytest.mark.parametrize("kind", list(SPREAD_PAGES))
def test_axe_is_clean_on_the_changed_pages_on_a_phone(browser, spread_site, kind, width, scheme):
    base, _ = spread_site
    assert_axe_clean(browser, base, SPREAD_PAGES[kind], scheme, width=width)
    scroll = browser.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width


def test_the_favicon_loads_and_the_archive_links_lead_to_their_months(browser, spread_site):
    from selenium.webdriver.common.by import By

    base, _ = spread_site
    browser.get_log("browser")
    open_page(browser, base, SPREAD_PAGES["archive"], width=390)
    icon = browser.execute_script("""
      const link = document.querySelector('link[rel=icon]');
      return fetch(link.href).then(r => r.text().then(t => [r.status, r.headers.get('content-type'), t]));""")
    assert icon[0] == 200 and "svg" in icon[1] and icon[2].startswith("<svg")
    browser.find_element(By.CSS_SELECTOR, ".archive-toc a[href='#2026-03']").click()
    assert browser.current_url.endswith("#2026-03")
    top, scrolled, bottom = browser.execute_script(
        "return [document.getElementById('2026-03').getBoundingClientRect().top, window.scrollY,"
        " document.documentElement.scrollHeight - window.innerHeight]"
    )
    assert 0 <= top < 50 or (0 <= top < 844 and scrolled == bottom)  # at the top, or as far as the page goes
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
