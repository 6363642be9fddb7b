"""The built site in a real browser: headless Chromium (Debian's chromium + chromium-driver, driven by Selenium).

The site is built once, served on 127.0.0.1 under a subpath (/archive/), and checked with axe-core, the Nu Html
Checker, a real search, a 390 px phone viewport and screenshots saved for review. Each tool's test skips with
the reason when the tool is missing, unless SITE_BUILDER_REQUIRE_BROWSER=1 (as .ci/run sets): then it fails.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import REPO, SEED_SLUG
from site_builder.engine.build import build
from site_builder.outputs.theme import PACKAGE_THEME

REQUIRED = os.environ.get("SITE_BUILDER_REQUIRE_BROWSER") == "1"
TOOLS = Path(os.environ.get("SITE_BUILDER_TOOLS", REPO / ".tools")) / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
SCREENSHOTS = Path(os.environ.get("SITE_BUILDER_SCREENSHOTS", REPO / "docs" / "screenshots"))
SUBPATH = "/archive/"  # served under a subpath, as a GitHub Pages project site is
COMPANY = "minimax"
PAGES = {  # page type -> output path
    "home": "index.html",
    "article": f"articles/{SEED_SLUG}/index.html",
    "company index": "companies/index.html",
    "company": f"companies/{COMPANY}/index.html",
    "archive": "archive/index.html",
    "search": "search/index.html",
    "404": "404.html",
    "original": f"articles/{SEED_SLUG}/original/index.html",  # a raw original shown as text
}
WIDTHS = {1280: 900, 390: 844, 320: 640}  # viewport width -> height
SCREENSHOT_WIDTHS = (1280, 390)
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--window-size=1280,900",
]
INSTALL = (
    "install with: apt-get install -y chromium chromium-driver default-jre-headless; "
    "npm install --ignore-scripts --prefix .tools axe-core@4.14.1 vnu-jar@26.9.27; pip install -e '.[test]'"
)


def missing(reason: str):
    """Skip for a missing tool; fail instead in CI, where every tool must be there."""
    if REQUIRED:
        pytest.fail(f"{reason} (SITE_BUILDER_REQUIRE_BROWSER=1: {INSTALL})", pytrace=False)
    pytest.skip(f"{reason} ({INSTALL})")


def _executable(env: str, *names: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    return next((found for name in names if (found := shutil.which(name))), None)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # "format": the base class names it so
        pass


@pytest.fixture(scope="session")
def served(tmp_path_factory) -> tuple[str, Path]:
    """(the site's URL, its output folder): the real archive built and served on 127.0.0.1 under SUBPATH."""
    root = tmp_path_factory.mktemp("www")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    base = f"http://127.0.0.1:{server.server_port}{SUBPATH}"
    output = root / SUBPATH.strip("/")
    summary = build(REPO / "seeds", output, PACKAGE_THEME, {"base_url": base})
    assert not [w for w in summary.warnings if w.path == "pagefind"], "the search index was not built"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, output
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Chromium driven by Selenium through Debian's chromedriver, with its network log on."""
    try:
        from selenium import webdriver
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing("selenium is not installed")
    chromium = _executable("SITE_BUILDER_CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    driver_path = _executable("SITE_BUILDER_CHROMEDRIVER", "chromedriver")
    if not chromium or not driver_path:
        missing("chromium or chromedriver is not installed")
    for tool in (chromium, driver_path):  # a wrong path would send Selenium off to download a driver
        if not os.access(tool, os.X_OK):
            missing(f"{tool} is not an executable file")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    except WebDriverException as exc:
        missing(f"headless Chromium did not start: {exc.msg or exc}".strip())
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def viewport(driver, width: int) -> None:
    """Make the page's viewport exactly width CSS pixels wide (a phone's at 390)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": WIDTHS[width], "deviceScaleFactor": 1, "mobile": width < 600},
    )


def open_page(driver, base: str, path: str, width: int = 1280) -> None:
    """Load the page at output path `path` with the given viewport width, and wait until it has loaded."""
    viewport(driver, width)
    driver.get(base + path)
    assert driver.execute_script("return document.readyState") == "complete"


# ------------------------------------------------------------------ accessibility: axe-core

AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                          nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));
"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_axe_finds_no_serious_or_critical_violation(browser, served, kind, scheme):
    base, _ = served
    assert_axe_clean(browser, base, PAGES[kind], scheme)


def assert_axe_clean(browser, base: str, path: str, scheme: str, width: int | None = None) -> None:
    """axe-core finds no serious or critical violation on the page at path, in the colour scheme given."""
    if not AXE.is_file():
        missing(f"axe-core is not installed ({AXE} is missing)")
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    try:
        if width is None:
            open_page(browser, base, path)
        else:
            open_page(browser, base, path, width=width)
        browser.execute_script(AXE.read_text(encoding="utf-8"))  # WebDriver scripts are not subject to the CSP
        violations = browser.execute_async_script(AXE_RUN)
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], json.dumps(serious, indent=1)


# ------------------------------------------------------------------ validity: the Nu Html Checker


def test_every_page_is_valid_html(served):
    java = _executable("SITE_BUILDER_JAVA", "java")
    if not java:
        missing("no Java runtime for the Nu Html Checker")
    if not VNU.is_file():
        missing(f"vnu-jar is not installed ({VNU} is missing)")
    _, output = served
    pages = sorted(str(p) for p in output.rglob("*.html"))
    assert {PAGES[k] for k in PAGES} <= {Path(p).relative_to(output).as_posix() for p in pages}
    done = subprocess.run(
        [java, "-jar", str(VNU), "--errors-only", "--format", "json", *pages],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(done.stderr or done.stdout or '{"messages": []}')["messages"]
    errors = [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', 0)}: {m.get('message')}"
        for m in messages
        if m.get("type") in ("error", "non-document-error")
    ]
    assert errors == [], "\n".join(errors)


# ------------------------------------------------------------------ search


def test_search_finds_the_seed_article_by_company_name(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = served
    open_page(browser, base, PAGES["search"])
    box = browser.find_element(By.ID, "search-q")
    box.send_keys("MiniMax")
    links = WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results a") or None)
    hrefs = [a.get_attribute("href") for a in links]
    assert base + f"articles/{SEED_SLUG}/" in hrefs  # under the subpath, not at the domain root
    assert base + f"companies/{COMPANY}/" in hrefs
    assert browser.find_element(By.ID, "search-all").is_displayed() is False
    assert "MiniMax" in browser.current_url  # the query is kept in the address, so it can be shared


def test_the_header_search_box_leads_to_results(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    base, _ = served
    open_page(browser, base, PAGES["company"])
    browser.find_element(By.ID, "site-search-q").send_keys("Zhipu", Keys.ENTER)
    links = WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results a") or None)
    assert base + "companies/knowledge-atlas-technology/" in [a.get_attribute("href") for a in links]


# ------------------------------------------------------------------ layout, keyboard, network


def test_the_article_page_has_no_horizontal_scroll_on_a_phone(browser, served):
    base, _ = served
    open_page(browser, base, PAGES["article"], width=390)
    widths = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth, window.innerWidth]"
    )
    assert widths[1] == 390 and widths[0] <= widths[1], widths


@pytest.mark.parametrize("width", [390, 320])
@pytest.mark.parametrize("kind", [k for k in PAGES if k != "404"])
def test_every_page_fits_a_small_phone(browser, served, kind, width):
    base, _ = served
    open_page(browser, base, PAGES[kind], width=width)
    scroll, client = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client == width


def test_the_first_tab_reaches_the_skip_link_and_it_moves_focus_to_main(browser, served):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    base, _ = served
    open_page(browser, base, PAGES["article"])
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    active = browser.switch_to.active_element
    assert active.get_attribute("class") == "skip-link" and active.is_displayed()
    outline = browser.execute_script("return getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the keyboard focus is visible
    active.send_keys(Keys.ENTER)
    assert browser.current_url.endswith("#main")


def test_no_page_requests_anything_outside_the_site(browser, served):
    base, _ = served
    browser.get_log("performance")  # drop what earlier tests logged
    for _kind, path in PAGES.items():
        open_page(browser, base, path)
    requested = set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            requested.add(message["params"]["request"]["url"])
    origin = base[: -len(SUBPATH) + 1]
    outside = sorted(u for u in requested if not u.startswith(origin) and not u.startswith("data:"))
    assert outside == []
    assert any(u.endswith(".css") for u in requested)


def test_no_page_logs_a_browser_error(browser, served):
    base, _ = served
    browser.get_log("browser")
    for path in PAGES.values():
        if path != "404.html":
            open_page(browser, base, path)
    browser.get(base + PAGES["search"] + "?q=Zhipu")
    errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []  # a CSP violation or a script error would show here


# ------------------------------------------------------------------ screenshots for review

SHOT_NAMES = {kind: kind.replace("company index", "companies") for kind in PAGES}  # file name of each page type


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", SCREENSHOT_WIDTHS)
@pytest.mark.parametrize("kind", list(PAGES))
def test_screenshots_are_saved_for_review(browser, served, kind, width, scheme):
    """docs/screenshots/<page type>-<width>.png (light) and <page type>-<width>-dark.png: every page type, desktop
    and phone."""
    base, _ = served
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    try:
        open_page(browser, base, PAGES[kind], width=width)
        png = browser.get_screenshot_as_png()
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{SHOT_NAMES[kind]}-{width}{'' if scheme == 'light' else '-dark'}.png"
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    if not target.exists() or target.read_bytes() != png:
        target.write_bytes(png)
