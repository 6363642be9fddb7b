"""URLs that never break: aliases become redirect pages and _redirects lines; two claims on one URL fail the build
naming both files; Unicode (Chinese included) titles get ASCII slugs by a documented rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import SEED_SLUG, minimal_front, write_article
from depth import BASE, make_depth_site, page
from site_builder.core.urls import SLUG_RE, alias_path, slugify

SEED = f"seeds/articles/{SEED_SLUG}.md"
ONE_ERROR = "1 error; nothing was written\n"


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_depth_site(tmp_path_factory.mktemp("aliases"))


# ---------------------------------------------------------------- aliases


@pytest.mark.parametrize(
    "alias_page, target",
    [
        ("articles/old-second/index.html", "../second/index.html"),
        ("legacy/second.html", "../articles/second/index.html"),
    ],
)
def test_an_alias_is_a_redirect_page_with_refresh_and_canonical_and_no_script(out, alias_page, target):
    doc = page(out, alias_page)
    assert doc.xpath("string(//meta[@http-equiv='refresh']/@content)") == f"0; url={target}"
    assert doc.xpath("//link[@rel='canonical']/@href") == [f"{BASE}articles/second/"]
    assert doc.xpath("//main//a/@href") == [target]
    assert doc.xpath("//script") == []
    assert doc.xpath("string(/html/@lang)") == "en" and doc.xpath("string(//title)")
    assert (out / alias_page).parent.joinpath(target).resolve() == (out / "articles/second/index.html").resolve()


def test_redirects_file_lists_every_alias_with_the_base_path(out):
    lines = (out / "_redirects").read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#")
    assert lines[1:] == [
        "/sub/articles/old-second/ /sub/articles/second/ 301",
        "/sub/legacy/second.html /sub/articles/second/ 301",
    ]


def test_redirect_pages_are_not_in_the_sitemap(out):
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "old-second" not in sitemap and "legacy" not in sitemap


def test_no_redirects_file_without_aliases(project, run):
    assert run(project, "build").code == 0
    assert not (project / "output" / "_redirects").exists()


@pytest.mark.parametrize(
    "alias, path",
    [
        ("articles/old/", "articles/old/index.html"),
        ("/articles/old", "articles/old/index.html"),
        ("old/page.html", "old/page.html"),
        ("/2019/01/story.php", "2019/01/story.php"),
    ],
)
def test_alias_paths(alias, path):
    assert alias_path(alias) == path


@pytest.mark.parametrize(
    "alias",
    [
        "../etc/passwd",
        "articles/../x/",
        "a b/",
        "x?y=1",
        "https://example.org/x/",
        "a//b",
        "/",
        "con/",
        "x#frag",
        "über/",
    ],
)
def test_an_unusable_alias_is_an_error_at_its_line(project, run, alias):
    write_article(project, "a.md", minimal_front(extra=f"aliases: [{alias!r}]"))
    result = run(project, "build")
    assert result.code == 1
    assert result.err.startswith(f"seeds/articles/a.md:6: aliases: invalid alias {alias!r}: "), result.err


@pytest.mark.parametrize(
    "alias, owner",
    [
        (f"articles/{SEED_SLUG}/", f"the page of {SEED}"),
        (f"/ARTICLES/{SEED_SLUG.upper()}/", f"the page of {SEED}"),  # differs only in case
        ("companies/minimax/", "the page of company 'minimax' (companies.yaml)"),
        ("sources/global-times/gt-voice/", "the page of column 'GT Voice' of 'Global Times'"),
    ],
)
def test_an_alias_that_collides_with_a_real_page_fails_naming_both(project, run, alias, owner):
    write_article(project, "a.md", minimal_front(extra=f"slug: a\naliases: [{alias!r}]"))
    result = run(project, "build")
    assert result.code == 1
    assert result.err == (
        f"seeds/articles/a.md:7: aliases: {alias!r} is {owner}; an alias may not replace a real page\n{ONE_ERROR}"
    )
    assert not (project / "output").exists()


@pytest.mark.parametrize("alias", ["feed.xml", "index.html", "archive/", "api/articles.json", "feed.xml/"])
def test_an_alias_that_collides_with_a_generated_file_fails(project, run, alias):
    write_article(project, "a.md", minimal_front(extra=f"slug: a\naliases: [{alias!r}]"))
    result = run(project, "build")
    assert result.code == 1
    assert result.err.startswith(f"seeds/articles/a.md:7: aliases: {alias!r} collides with "), result.err


def test_one_alias_claimed_by_two_articles_fails_naming_both_files(project, run):
    write_article(project, "a.md", minimal_front(extra="slug: a\naliases: [old/]"))
    write_article(project, "b.md", minimal_front(extra="slug: b\naliases: [/Old]"))
    result = run(project, "build")
    assert result.code == 1
    assert (
        result.err == f"seeds/articles/b.md:7: aliases: '/Old' is already an alias ('old/') of "
        f"seeds/articles/a.md:7\n{ONE_ERROR}"
    )


def test_an_alias_of_the_articles_own_url_is_an_error(project, run):
    write_article(project, "a.md", minimal_front(extra="slug: a\naliases: [articles/a/]"))
    result = run(project, "build")
    assert result.err == f"seeds/articles/a.md:7: aliases: 'articles/a/' is this article's own URL\n{ONE_ERROR}"


def test_a_changed_slug_keeps_the_old_url_working(project, run):
    write_article(project, "a.md", minimal_front(title="Renamed", extra="slug: new-name\naliases: [articles/a/]"))
    assert run(project, "build").code == 0, "build"
    doc = page(project / "output", "articles/a/index.html")
    assert doc.xpath("string(//meta[@http-equiv='refresh']/@content)") == "0; url=../new-name/index.html"


# ---------------------------------------------------------------- two items, one URL


@pytest.mark.parametrize(
    "first, second",
    [
        ("story.md", "Story.md"),  # differ only in case
        ("hello-world.md", "Hello World!.md"),  # slugify to the same text
    ],
)
def test_two_articles_with_one_url_fail_naming_both_files(project, run, first, second):
    write_article(project, first, minimal_front(title="One"))
    write_article(project, second, minimal_front(title="Two"))
    result = run(project, "build")
    assert result.code == 1
    assert f"seeds/articles/{first}" in result.err and f"seeds/articles/{second}" in result.err
    assert "duplicate slug" in result.err and result.err.endswith(ONE_ERROR)


def test_a_slug_given_in_front_matter_that_matches_another_file_fails_naming_both(project, run):
    write_article(project, "a.md", minimal_front(title="One"))
    write_article(project, "b.md", minimal_front(title="Two", extra="slug: a"))
    result = run(project, "build")
    assert result.err == f"seeds/articles/b.md:6: duplicate slug 'a': seeds/articles/a.md already uses 'a'\n{ONE_ERROR}"


def test_a_file_name_that_gives_an_empty_slug_is_an_error(project, run):
    write_article(project, "!!!.md", minimal_front(title="Nothing"))
    result = run(project, "build")
    assert result.code == 1
    assert result.err.startswith("seeds/articles/!!!.md:1: invalid slug ''"), result.err


# ---------------------------------------------------------------- Unicode and CJK slugs


@pytest.mark.parametrize(
    "title, slug",
    [
        ("人工智能与香港资本市场", "ren-gong-zhi-neng-yu-xiang-gang-zi-ben-shi-chang"),  # Chinese: pinyin, no tones
        ("GT Voice：香港 AI 上市潮", "gt-voice-xiang-gang-ai-shang-shi-chao"),  # mixed, full-width punctuation
        ("Ünïcödé Straße", "unicode-strasse"),  # Latin: accents dropped, ß -> ss
        ("Привет, мир", "privet-mir"),  # Cyrillic: transliterated
        ("한국 경제", "hangug-gyeongje"),  # Hangul: romanised
        ("！？。", ""),  # punctuation only: no slug (import and new refuse it)
    ],
)
def test_unicode_titles_get_ascii_slugs(title, slug):
    assert slugify(title) == slug


def test_new_with_a_chinese_title_creates_a_pinyin_file_that_builds(project, run):
    result = run(project, "new", "人工智能与香港资本市场")
    assert result.code == 0, result.err
    path = project / "seeds/articles/ren-gong-zhi-neng-yu-xiang-gang-zi-ben-shi-chang.md"
    text = path.read_text(encoding="utf-8")
    assert "title: 人工智能与香港资本市场\n" in text
    path.write_text(text.replace("draft: true\n", ""), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "4102444800")  # 2100: the new article is due
        assert run(project, "build").code == 0
    doc = page(project / "output", "articles/ren-gong-zhi-neng-yu-xiang-gang-zi-ben-shi-chang/index.html")
    assert doc.xpath("string(//h1)") == "人工智能与香港资本市场"


def test_an_article_file_with_a_chinese_name_gets_a_pinyin_slug(project, run):
    write_article(project, "香港.md", minimal_front(title="Hong Kong"))
    assert run(project, "build").code == 0
    assert (project / "output/articles/xiang-gang/index.html").is_file()


@given(st.text(max_size=200))
def test_slugify_always_gives_a_url_safe_slug_or_nothing(text):
    slug = slugify(text)
    assert slug == "" or (SLUG_RE.match(slug) and len(slug) <= 100)
    assert slugify(slug) == slug


def test_two_file_names_that_both_give_an_empty_slug_are_both_named(project, run):
    write_article(project, "!!!.md", minimal_front(title="One"))
    write_article(project, "。。。.md", minimal_front(title="Two"))
    result = run(project, "build")
    assert result.code == 1
    assert "seeds/articles/!!!.md:1: invalid slug ''" in result.err
    assert "seeds/articles/。。。.md:1: invalid slug ''" in result.err


@given(st.text(alphabet=st.sampled_from("ab.~_-/\\ %?#:é"), max_size=30))
def test_every_accepted_alias_stays_inside_the_output_folder(alias):
    from posixpath import normpath

    from site_builder.core.urls import alias_problem

    if alias_problem(alias) is None:
        path = alias_path(alias)
        assert not path.startswith(("/", "..")) and normpath(path) == path and "\\" not in path
        assert path.endswith("index.html") or "." in path.rsplit("/", 1)[-1]
