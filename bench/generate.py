"""A seeded synthetic archive for the benchmark, written three ways: site-builder, Pelican and Hugo.

    python bench/generate.py --articles 1000 --seed 1 --shape prose --out bench/runs/prose-n1000

writes bench/runs/prose-n1000/{ours,pelican,hugo}: the same N articles for each tool (the same titles,
dates, companies and Markdown bodies; dates over five years with mixed UTC offsets; each article
mentions 1-5 of 200 companies). Two shapes of body:

- `prose`, like the seed's article: 800 to 1,000 words of plain paragraphs (commas, a parenthesised
  abbreviation, quoted remarks; no Markdown construct), an illustration credit in the front matter;
- `markdown`, about 1,000 words of Markdown-heavy text: `##`/`###` headings, bulleted and ordered lists
  with nested items, emphasis and strong emphasis, code spans, fenced code blocks, block quotes of two
  paragraphs, inline and reference links (their definitions at the end). No tables, no inline HTML.

The titles, dates and companies of article i depend only on the seed and i, not on the shape. Articles
are generated and written one at a time (nothing is held for the whole archive), so 100,000 take
minutes, not memory. All three sites have one page per article, a paginated home (10 per page), one
page per company (Pelican: tags; Hugo: a `companies` taxonomy), a company index and an Atom feed; each
converts the Markdown to plain HTML (Python-Markdown's `extra` and `sane_lists` for Pelican, as
site-builder; Hugo without syntax highlighting). `stamp.json`, written last, records what the folder
holds, so `--keep` can reuse a complete archive.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

WORDS = (
    "market capital listing growth investors technology chips models revenue exchange policy "
    "analysts shares demand supply funding research platform industry software hardware cloud "
    "regulators quarter earnings strategy partners customers innovation manufacturing data energy "
    "battery network services users contracts export import pricing volume margin outlook board "
    "expansion factory engineers talent licence approval offering valuation index sector region"
).split()
PREFIXES = (
    "Aurora Beacon Cedar Delta Ember Falcon Granite Harbor Iris Jade Kestrel Lumen Meridian "
    "Nimbus Orchid Pioneer Quartz Raven Summit Tidal Umber Vertex Willow Xenon Yonder Zephyr"
).split()
SUFFIXES = (
    "Semiconductor Robotics Software Biotech Motors Energy Networks Analytics Systems "
    "Materials Logistics Capital Cloud Devices Pharma Optics Aerospace Foods Media Telecom"
).split()
ABBREVIATIONS = ("AI", "IPO", "R&D", "EV", "GDP", "CEO")
CREDITS = ("Liu Wen/Bench Wire", "Sara Okafor/Bench Wire", "Tom Reyes/Bench Wire", "Mei Tan/Bench Wire")
OFFSETS = [timezone(timedelta(hours=h, minutes=m)) for h, m in ((8, 0), (0, 0), (-5, 0), (5, 30), (9, 0), (1, 0))]
START = datetime(2021, 1, 1, tzinfo=UTC)
COMPANIES = 200
PAGE_SIZE = 10
FEED_SIZE = 20
SHAPES = ("prose", "markdown")
TOOLS = ("ours", "pelican", "hugo")


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    published: datetime
    companies: tuple[dict, ...]
    illustration: str | None
    body: str


def companies() -> list[dict]:
    """200 distinct companies: id, name, description (deterministic, no randomness needed)."""
    out = []
    for i in range(COMPANIES):
        p, s = PREFIXES[i % len(PREFIXES)], SUFFIXES[(i // len(PREFIXES)) % len(SUFFIXES)]
        name = f"{p} {s}" if i < len(PREFIXES) * len(SUFFIXES) else f"{p} {s} {i}"
        out.append({"id": name.lower().replace(" ", "-"), "name": name, "description": f"{s} company"})
    return out


def sentence(rng: random.Random, mention: str | None = None, styled: bool = False) -> str:
    """9 to 18 words; a company name inserted if given; with `styled`, one word or two emphasised or as code."""
    words = rng.choices(WORDS, k=rng.randint(9, 18))
    if styled:
        at = rng.randrange(1, len(words) - 1)
        words[at] = rng.choice(("*{}*", "**{}**", "`{}`", "_{}_", "`{}_{}`")).format(words[at], words[at + 1])
    if mention:
        words.insert(rng.randint(1, len(words) - 1), mention)
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def prose_sentence(rng: random.Random, mention: str | None) -> str:
    """A sentence as a news story has them: a clause after a comma, now and then an abbreviation or a quote."""
    text = sentence(rng, mention)[:-1]
    extra = rng.random()
    if extra < 0.3:
        text += ", " + " ".join(rng.choices(WORDS, k=rng.randint(4, 8)))
    elif extra < 0.4:
        text += f" ({rng.choice(ABBREVIATIONS)})"
    elif extra < 0.5:
        return f'"{text}," said an analyst at {rng.choice(PREFIXES)} Research.'
    return text + "."


def prose_body(rng: random.Random, names: list[str]) -> str:
    """800 to 1,000 words of plain paragraphs, each company named at least once."""
    pending, blocks, words = list(names), [], 0
    goal = rng.randint(800, 1000)
    while words < goal:
        block = " ".join(
            prose_sentence(rng, pending.pop() if pending and j == 0 else None) for j in range(rng.randint(2, 5))
        )
        blocks.append(block)
        words += len(block.split())
    return "\n\n".join(blocks) + "\n"


def nested_list(rng: random.Random, ordered: bool) -> str:
    """Three to five items, some with two or three nested bullets (indented four spaces, as Python-Markdown needs)."""
    lines = []
    for n in range(1, rng.randint(3, 5) + 1):
        lines.append(f"{n}. {sentence(rng, styled=True)}" if ordered else f"- {sentence(rng, styled=True)}")
        if rng.random() < 0.5:
            lines += [f"    - {sentence(rng)}" for _ in range(rng.randint(2, 3))]
    return "\n".join(lines)


def code_block(rng: random.Random) -> str:
    lines = [
        f"{a}_{b} = {rng.randint(1, 999)} * {c}  # {d}"
        for a, b, c, d in (rng.choices(WORDS, k=4) for _ in range(rng.randint(3, 6)))
    ]
    return "```python\n" + "\n".join(lines) + "\n```"


def markdown_body(rng: random.Random, names: list[str]) -> str:
    """About 1,000 words of Markdown-heavy text, each company named at least once (in a plain sentence)."""
    pending, blocks, refs, words, i = list(names), [], list[str](), 0, 0
    while words < 1000:
        kind = i % 10
        if kind in (3, 8):
            blocks.append(f"{'##' if kind == 3 else '###'} {sentence(rng)[:-1].title()}")
        elif kind == 5:
            blocks.append(nested_list(rng, ordered=rng.random() < 0.5))
        elif kind == 7:
            blocks.append("> " + " ".join(sentence(rng, styled=True) for _ in range(2)) + "\n>\n> " + sentence(rng))
        elif kind == 9:
            blocks.append(code_block(rng))
        else:
            parts = [
                sentence(rng, pending.pop() if pending and j == 0 else None, styled=j == 1)
                for j in range(rng.randint(3, 6))
            ]
            if kind == 1:
                parts.append(f"See [the {rng.choice(WORDS)} report](https://example.com/{rng.randint(1, 99999)}).")
            elif kind in (2, 6):
                refs.append(f"[r{len(refs) + 1}]: https://example.org/{rng.choice(WORDS)}/{rng.randint(1, 99999)}")
                parts.append(f"The [{rng.choice(WORDS)} filing][r{len(refs)}] has the details.")
            blocks.append(" ".join(parts))
        words += len(blocks[-1].split())
        i += 1
    return "\n\n".join([*blocks, "\n".join(refs)] if refs else blocks) + "\n"


BODIES = {"prose": prose_body, "markdown": markdown_body}


def articles(n: int, seed: int, shape: str) -> Iterator[Article]:
    """n articles, one at a time; article i depends only on (seed, i) and, for its body, the shape."""
    comps = companies()
    for i in range(n):
        rng = random.Random(f"{seed}:{i}")  # a string seed is hashed with SHA-512: the same on every platform
        chosen = tuple(rng.sample(comps, rng.randint(1, 5)))
        when = (START + timedelta(minutes=rng.randint(0, 5 * 365 * 24 * 60))).astimezone(rng.choice(OFFSETS))
        title = f"{chosen[0]['name']} {rng.choice(WORDS)} {rng.choice(WORDS)} report {i}"
        credit = rng.choice(CREDITS)
        yield Article(
            f"article-{i:05d}",
            title,
            when,
            chosen,
            credit if shape == "prose" else None,
            BODIES[shape](rng, [c["name"] for c in chosen]),
        )


def yaml_front_matter(fields: dict[str, str | None], body: str) -> str:
    """`---` front matter with the fields that have a value (already YAML), then the body."""
    lines = "".join(f"{k}: {v}\n" for k, v in fields.items() if v is not None)
    return f"---\n{lines}---\n\n{body}"


class Ours:
    def __init__(self, root: Path):
        self.articles = root / "seeds" / "articles"
        self.articles.mkdir(parents=True)
        (root / "seeds" / "site.toml").write_text(
            f'title = "Bench Archive"\npage_size = {PAGE_SIZE}\nfeed_size = {FEED_SIZE}\n'
        )
        (root / "seeds" / "companies.yaml").write_text(
            "".join(f"- id: {c['id']}\n  name: {c['name']}\n  description: {c['description']}\n" for c in companies())
        )

    def write(self, a: Article) -> None:
        (self.articles / f"{a.slug}.md").write_text(
            yaml_front_matter(
                {
                    "title": f'"{a.title}"',
                    "published": a.published.isoformat(),
                    "source": "Bench Wire",
                    "illustration": a.illustration,
                    "companies": f"[{', '.join(c['id'] for c in a.companies)}]",
                },
                a.body,
            ),
            encoding="utf-8",
        )


PELICAN_CONF = f"""\
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
# the Markdown extensions site-builder uses (Pelican's default adds codehilite, which highlights code blocks)
MARKDOWN = {{"extension_configs": {{"markdown.extensions.extra": {{}}, "markdown.extensions.sane_lists": {{}}}},
            "output_format": "html5"}}
"""


class Pelican:
    def __init__(self, root: Path):
        self.content = root / "content"
        self.content.mkdir(parents=True)
        (root / "pelicanconf.py").write_text(PELICAN_CONF)

    def write(self, a: Article) -> None:
        fields = {
            "Title": a.title,
            "Date": a.published.isoformat(),
            "Slug": a.slug,
            "Tags": ", ".join(c["name"] for c in a.companies),
            "Category": "News",
            "Illustration": a.illustration,
        }
        head = "".join(f"{k}: {v}\n" for k, v in fields.items() if v is not None)
        (self.content / f"{a.slug}.md").write_text(f"{head}\n{a.body}", encoding="utf-8")


HUGO_CONF = f"""\
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
[markup.highlight]
  codeFences = false
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
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>
{{ with .OutputFormats.Get "atom" }}<link rel="alternate" type="application/atom+xml" href="{{ .RelPermalink }}">{{ end }}
</head><body><nav><a href="{{ "/" | relURL }}">Latest</a> <a href="{{ "/companies/" | relURL }}">Companies</a></nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
""",
    "_default/single.html": """{{ define "main" }}<article><h1>{{ .Title }}</h1><time>{{ .Date.Format "2 January 2006, 15:04 (UTC-07:00)" }}</time>
<ul>{{ range .GetTerms "companies" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}</ul>
{{ .Content }}
{{ with .Params.illustration }}<p>Illustration: {{ . }}</p>{{ end }}
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


class Hugo:
    def __init__(self, root: Path):
        self.articles = root / "content" / "articles"
        self.articles.mkdir(parents=True)
        (root / "hugo.toml").write_text(HUGO_CONF)
        for rel, text in HUGO_LAYOUTS.items():
            path = root / "layouts" / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        for c in companies():  # a page per company term, so it has its name as title
            folder = root / "content" / "companies" / c["id"]
            folder.mkdir(parents=True)
            (folder / "_index.md").write_text(f'---\ntitle: "{c["name"]}"\ndescription: "{c["description"]}"\n---\n')

    def write(self, a: Article) -> None:
        (self.articles / f"{a.slug}.md").write_text(
            yaml_front_matter(
                {
                    "title": f'"{a.title}"',
                    "date": a.published.isoformat(),
                    "slug": a.slug,
                    "illustration": f'"{a.illustration}"' if a.illustration else None,
                    "companies": f"[{', '.join(c['id'] for c in a.companies)}]",
                },
                a.body,
            ),
            encoding="utf-8",
        )


WRITERS: dict[str, type[Ours | Pelican | Hugo]] = {"ours": Ours, "pelican": Pelican, "hugo": Hugo}


def stamp(n: int, seed: int, shape: str, tools: Sequence[str]) -> dict:
    """What a folder holds: the arguments, and a digest of this file (a changed generator makes other archives)."""
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
    return {"articles": n, "seed": seed, "shape": shape, "tools": sorted(tools), "generator": code}


def reusable(out: Path, wanted: dict) -> bool:
    """Whether out holds a complete archive as wanted (for at least the tools wanted)."""
    try:
        found = json.loads((out / "stamp.json").read_text())
    except (OSError, ValueError):
        return False
    same = all(found.get(k) == v for k, v in wanted.items() if k != "tools")
    return same and set(wanted["tools"]) <= set(found.get("tools", ()))


def generate(
    n: int, seed: int, out: Path, shape: str = "markdown", tools: Sequence[str] = TOOLS, keep: bool = False
) -> bool:
    """Write out/<tool> for each tool: n articles of the shape. With keep, a complete archive made with the same
    arguments is left as it is. Return whether anything was written."""
    wanted = stamp(n, seed, shape, tools)
    if keep and reusable(out, wanted):
        return False
    if out.exists():
        shutil.rmtree(out)
    writers = [WRITERS[tool](out / tool) for tool in tools]
    for article in articles(n, seed, shape):
        for writer in writers:
            writer.write(article)
    (out / "stamp.json").write_text(json.dumps(wanted) + "\n")
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shape", choices=SHAPES, default="prose")
    ap.add_argument("--tools", default=",".join(TOOLS), help="comma-separated, of ours,pelican,hugo (default all)")
    ap.add_argument("--keep", action="store_true", help="reuse the folder if it holds the same archive")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    tools = args.tools.split(",")
    if unknown := set(tools) - set(TOOLS):
        ap.error(f"unknown tool(s): {', '.join(sorted(unknown))}")
    written = generate(args.articles, args.seed, args.out, args.shape, tools, args.keep)
    print(f"{'wrote' if written else 'kept'} {args.articles} {args.shape} articles in {args.out}/{{{','.join(tools)}}}")


if __name__ == "__main__":
    main()
