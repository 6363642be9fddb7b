"""A seeded synthetic archive for the benchmark, written three ways: site-builder, Pelican and Hugo.

    python bench/generate.py --articles 1000 --seed 1 --out bench/runs/n1000

writes bench/runs/n1000/{ours,pelican,hugo}: the same N articles (about 1,000 words each: paragraphs,
headings, links, lists, quotes; each mentions 1-5 of 200 companies; dates over several years with
mixed UTC offsets). All three sites have one page per article, a paginated home (10 per page), one
page per company (Pelican: tags; Hugo: a `companies` taxonomy), a company index and an Atom feed.
"""
from __future__ import annotations

import argparse
import random
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

WORDS = ("market capital listing growth investors technology chips models revenue exchange policy "
         "analysts shares demand supply funding research platform industry software hardware cloud "
         "regulators quarter earnings strategy partners customers innovation manufacturing data energy "
         "battery network services users contracts export import pricing volume margin outlook board "
         "expansion factory engineers talent licence approval offering valuation index sector region").split()
PREFIXES = ("Aurora Beacon Cedar Delta Ember Falcon Granite Harbor Iris Jade Kestrel Lumen Meridian "
            "Nimbus Orchid Pioneer Quartz Raven Summit Tidal Umber Vertex Willow Xenon Yonder Zephyr").split()
SUFFIXES = ("Semiconductor Robotics Software Biotech Motors Energy Networks Analytics Systems "
            "Materials Logistics Capital Cloud Devices Pharma Optics Aerospace Foods Media Telecom").split()
OFFSETS = [timezone(timedelta(hours=h, minutes=m)) for h, m in ((8, 0), (0, 0), (-5, 0), (5, 30), (9, 0), (1, 0))]
COMPANIES = 200
PAGE_SIZE = 10
FEED_SIZE = 20


def companies() -> list[dict]:
    """200 distinct companies: id, name, description (deterministic, no randomness needed)."""
    out = []
    for i in range(COMPANIES):
        p, s = PREFIXES[i % len(PREFIXES)], SUFFIXES[(i // len(PREFIXES)) % len(SUFFIXES)]
        name = f"{p} {s}" if i < len(PREFIXES) * len(SUFFIXES) else f"{p} {s} {i}"
        out.append({"id": name.lower().replace(" ", "-"), "name": name, "description": f"{s} company"})
    return out


def sentence(rng: random.Random, mention: str | None = None) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(9, 18))]
    if mention:
        words.insert(rng.randint(1, len(words) - 1), mention)
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def body(rng: random.Random, names: list[str]) -> str:
    """About 1,000 words of Markdown mentioning each of names at least once."""
    blocks, words, i = [], 0, 0
    pending = list(names)
    while words < 1000:
        kind = i % 9
        if kind == 3:
            blocks.append(f"## {sentence(rng)[:-1].title()}")
        elif kind == 5:
            blocks.append("\n".join(f"- {sentence(rng)}" for _ in range(rng.randint(3, 5))))
        elif kind == 7:
            blocks.append("> " + " ".join(sentence(rng) for _ in range(2)))
        else:
            parts = [sentence(rng, pending.pop() if pending and j == 0 else None) for j in range(rng.randint(3, 6))]
            if kind == 1:
                parts.append(f"See [the {rng.choice(WORDS)} report](https://example.com/{rng.randint(1, 99999)}).")
            blocks.append(" ".join(parts))
        words += len(blocks[-1].split())
        i += 1
    return "\n\n".join(blocks) + "\n"


def articles(n: int, seed: int) -> list[dict]:
    """n articles, deterministic for the seed."""
    rng = random.Random(seed)
    comps = companies()
    start = datetime(2021, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        chosen = rng.sample(comps, rng.randint(1, 5))
        when = (start + timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60))).astimezone(rng.choice(OFFSETS))
        title = f"{chosen[0]['name']} {rng.choice(WORDS)} {rng.choice(WORDS)} report {i}"
        out.append({"slug": f"article-{i:05d}", "title": title, "published": when,
                    "companies": [c["id"] for c in chosen], "body": body(rng, [c["name"] for c in chosen])})
    return out


def write_ours(root: Path, arts: list[dict]) -> None:
    seeds = root / "seeds"
    (seeds / "articles").mkdir(parents=True)
    (seeds / "site.toml").write_text(f'title = "Bench Archive"\npage_size = {PAGE_SIZE}\nfeed_size = {FEED_SIZE}\n')
    (seeds / "companies.yaml").write_text("".join(
        f"- id: {c['id']}\n  name: {c['name']}\n  description: {c['description']}\n" for c in companies()))
    for a in arts:
        (seeds / "articles" / f"{a['slug']}.md").write_text(
            f"---\ntitle: \"{a['title']}\"\npublished: {a['published'].isoformat()}\nsource: Bench Wire\n"
            f"companies: [{', '.join(a['companies'])}]\n---\n\n{a['body']}", encoding="utf-8")


def write_pelican(root: Path, arts: list[dict]) -> None:
    (root / "content").mkdir(parents=True)
    names = {c["id"]: c["name"] for c in companies()}
    (root / "pelicanconf.py").write_text(f"""\
SITENAME = "Bench Archive"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = {PAGE_SIZE}
FEED_MAX_ITEMS = {FEED_SIZE}
FEED_ALL_ATOM = "feed.xml"
TAG_FEED_ATOM = "companies/{{slug}}/feed.xml"
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
ARTICLE_URL = "articles/{{slug}}/"
ARTICLE_SAVE_AS = "articles/{{slug}}/index.html"
TAG_URL = "companies/{{slug}}/"
TAG_SAVE_AS = "companies/{{slug}}/index.html"
TAGS_SAVE_AS = "companies/index.html"
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
ARCHIVES_SAVE_AS = "archive/index.html"
DIRECT_TEMPLATES = ["index", "tags", "archives"]
RELATIVE_URLS = True
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = "cache"
""")
    for a in arts:
        tags = ", ".join(names[c] for c in a["companies"])
        (root / "content" / f"{a['slug']}.md").write_text(
            f"Title: {a['title']}\nDate: {a['published'].isoformat()}\nSlug: {a['slug']}\nTags: {tags}\n"
            f"Category: News\n\n{a['body']}", encoding="utf-8")


HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>
{{ with .OutputFormats.Get "atom" }}<link rel="alternate" type="application/atom+xml" href="{{ .RelPermalink }}">{{ end }}
</head><body><nav><a href="{{ "/" | relURL }}">Latest</a> <a href="{{ "/companies/" | relURL }}">Companies</a></nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1><time>{{ .Date.Format "2 January 2006, 15:04 (UTC-07:00)" }}</time>
<ul>{{ range .GetTerms "companies" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ .Content }}
{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}
{{ with .NextInSection }}<a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ end }}</article>{{ end }}
""",
    "index.html": """{{ define "main" }}{{ $p := .Paginate (where site.RegularPages "Section" "articles") }}
{{ range $p.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}
{{ with $p.Prev }}<a href="{{ .URL }}">Newer</a>{{ end }} {{ with $p.Next }}<a href="{{ .URL }}">Older</a>{{ end }}{{ end }}
""",
    "_default/taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
{{ range .Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2><p>{{ .Summary }}</p></article>{{ end }}{{ end }}
""",
    "_default/terms.html": """{{ define "main" }}<h1>Companies</h1><ul>
{{ range .Data.Terms.Alphabetical }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> ({{ .Count }})</li>{{ end }}</ul>{{ end }}
""",
    "_default/list.atom.xml": """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>{{ .Title }}</title><id>{{ .Permalink }}</id>
{{ range first 20 (where .RegularPagesRecursive "Section" "articles") }}<entry><title>{{ .Title }}</title><id>{{ .Permalink }}</id>
<published>{{ .Date.Format "2006-01-02T15:04:05-07:00" }}</published><summary>{{ .Summary | plainify }}</summary>
<content type="html">{{ .Content | html }}</content></entry>{{ end }}</feed>
""",
}


def write_hugo(root: Path, arts: list[dict]) -> None:
    (root / "content" / "articles").mkdir(parents=True)
    (root / "content" / "companies").mkdir(parents=True)
    (root / "hugo.toml").write_text(f"""\
baseURL = "http://127.0.0.1:8000/"
title = "Bench Archive"
languageCode = "en"
disableKinds = ["section", "sitemap", "robotsTXT", "404"]
relativeURLs = true
[pagination]
  pagerSize = {PAGE_SIZE}
[taxonomies]
  company = "companies"
[permalinks]
  articles = "/articles/:slug/"
[mediaTypes."application/atom+xml"]
  suffixes = ["xml"]
[outputFormats.atom]
  mediaType = "application/atom+xml"
  baseName = "feed"
  isPlainText = false
[outputs]
  home = ["html", "atom"]
  taxonomy = ["html"]
  term = ["html", "atom"]
""")
    for rel, text in HUGO_LAYOUTS.items():
        path = root / "layouts" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    names = {c["id"]: c for c in companies()}
    for c in names.values():  # a page per company term, so it has its name as title
        d = root / "content" / "companies" / c["id"]
        d.mkdir()
        (d / "_index.md").write_text(f"---\ntitle: \"{c['name']}\"\ndescription: \"{c['description']}\"\n---\n")
    for a in arts:
        (root / "content" / "articles" / f"{a['slug']}.md").write_text(
            f"---\ntitle: \"{a['title']}\"\ndate: {a['published'].isoformat()}\nslug: {a['slug']}\n"
            f"companies: [{', '.join(a['companies'])}]\n---\n\n{a['body']}", encoding="utf-8")


def generate(n: int, seed: int, out: Path) -> None:
    """Write out/ours, out/pelican and out/hugo for n articles."""
    if out.exists():
        shutil.rmtree(out)
    arts = articles(n, seed)
    write_ours(out / "ours", arts)
    write_pelican(out / "pelican", arts)
    write_hugo(out / "hugo", arts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    generate(args.articles, args.seed, args.out)
    print(f"wrote {args.articles} articles to {args.out}/{{ours,pelican,hugo}}")


if __name__ == "__main__":
    main()
