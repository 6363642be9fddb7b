"""Search precision and the feeds page in headless Chromium, on the site test_browser.py builds and serves.

A word that is not in the archive finds nothing (Pagefind alone would match "Apple" to "application" and
"nothingmatcheshere" to "not"); a word that is finds the article, whose result shows its source and date; a
snippet cut out of a longer text says so with an ellipsis.
"""

from __future__ import annotations

import pytest

from conftest import SEED_SLUG
from test_browser import assert_axe_clean, browser, open_page, served  # noqa: F401 - fixtures

SEARCH = "search/index.html"
ARTICLE = f"articles/{SEED_SLUG}/"


def _search(driver, base: str, query: str) -> list:
    """Search for query on the search page, wait for its answer: the result items (none when nothing matched)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    open_page(driver, base, SEARCH)
    box = driver.find_element(By.ID, "search-q")
    box.send_keys(query)
    status = driver.find_element(By.ID, "search-status")
    WebDriverWait(driver, 20).until(lambda d: "\u201c" + query + "\u201d" in status.text)
    return driver.find_elements(By.CSS_SELECTOR, "#search-results > li")


def _href(item) -> str:
    from selenium.webdriver.common.by import By

    return item.find_element(By.CSS_SELECTOR, ".result-title a").get_attribute("href")


@pytest.mark.parametrize("query", ["nothingmatcheshere", "Apple", "zzz", "MiniMax Apple"])
def test_a_word_not_in_the_archive_finds_nothing(browser, served, query):
    from selenium.webdriver.common.by import By

    base, _ = served
    assert _search(browser, base, query) == []
    assert browser.find_element(By.ID, "search-status").text.startswith("No results for")
    assert browser.find_element(By.ID, "search-all").is_displayed()  # the full list is offered instead


@pytest.mark.parametrize("query", ["MiniMax", "Zhipu", "financing", "Hong Kong", "financ", "listings"])
def test_a_word_in_the_archive_finds_the_article_with_its_source_and_date(browser, served, query):
    from selenium.webdriver.common.by import By

    base, _ = served
    items = _search(browser, base, query)
    article = [i for i in items if _href(i) == base + ARTICLE]
    assert len(article) == 1, [_href(i) for i in items]
    meta = article[0].find_element(By.CSS_SELECTOR, ".result-meta")
    assert "Global Times" in meta.text
    time = meta.find_element(By.TAG_NAME, "time")
    assert time.get_attribute("datetime") == "2026-01-15T23:42:00+08:00" and time.text == "15 Jan 2026"


def test_a_cut_snippet_ends_with_an_ellipsis_and_a_whole_one_does_not(browser, served):
    from selenium.webdriver.common.by import By

    base, _ = served
    items = _search(browser, base, "MiniMax")
    snippets = {_href(i): i.find_elements(By.CSS_SELECTOR, "p")[-1].text for i in items}
    article, company = snippets[base + ARTICLE], snippets[base + "companies/minimax/"]
    assert article.endswith("\u2026") and article.startswith("\u2026 ")  # cut from the middle of the article
    assert company == "MiniMax. Large-model developer."  # the company page's whole text: no mark
    assert "MiniMax" in article


def test_the_header_feeds_link_opens_the_feeds_page_and_a_company_link_its_entry(browser, served):
    from selenium.webdriver.common.by import By

    base, _ = served
    open_page(browser, base, "companies/minimax/index.html")
    browser.find_element(By.LINK_TEXT, "Follow MiniMax in a feed reader").click()
    assert browser.current_url == base + "feeds/index.html#companies/minimax"
    entry = browser.find_element(By.ID, "companies/minimax")
    assert entry.find_element(By.TAG_NAME, "code").text == base + "companies/minimax/feed.xml"
    top, bottom, height = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight]", entry
    )
    assert 0 <= top and bottom <= height  # the entry is in view
    browser.find_element(By.CSS_SELECTOR, 'nav[aria-label="Site"]').find_element(By.LINK_TEXT, "Feeds").click()
    assert browser.current_url == base + "feeds/index.html"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Feeds"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_feeds_page_passes_axe(browser, served, scheme):
    base, _ = served
    assert_axe_clean(browser, base, "feeds/index.html", scheme)


@pytest.mark.parametrize("width", [390, 320])
def test_the_feeds_page_fits_a_small_phone(browser, served, width):
    base, _ = served
    open_page(browser, base, "feeds/index.html", width=width)
    scroll, client = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client == width
