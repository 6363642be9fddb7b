"""A Hypothesis state machine: random sequences of edits to the archive, the settings and the templates, each
followed by an incremental build (the same output folder and cache), which must write byte for byte what a clean
build of the same input writes into a fresh folder with no cache (or fail as it fails, leaving output as it was).

The default run is short (a few examples); `pytest --hypothesis-profile=long tests/test_stateful.py` runs the
long profile registered in conftest.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from hypothesis import HealthCheck, event, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from conftest import REPO, SEED_ARTICLE, tree_digest
from site_builder.core.errors import SiteError
from site_builder.engine.build import Builder
from site_builder.outputs.theme import PACKAGE_THEME

TITLES = ["Alpha", "Beta news", "Gamma: a story", "Über MiniMax", "Zhipu and MiniMax", "Delta"]
DATES = [
    "2026-01-05T10:00:00+08:00",
    "2026-01-05T10:00:00+08:00",
    "2026-02-01T23:30:00-05:00",
    "2026-02-02T04:30:00+00:00",
    "2026-03-15T08:00:00+01:00",
    "2026-07-01T00:00:00+00:00",
]
NOWS = ["1772323200", "1798675200"]  # 2026-03-01 and 2026-12-31 (UTC): the last two dates are held back or not
BODIES = [
    "MiniMax is named here.\n",
    "First paragraph, naming Zhipu.\n\nA second one.\n\n## Part\n\n- a list\n- of things\n",
    "Nothing named.\n\nSee [a note](../note-0/) and [another](../custom-slug/).\n",
    "Shanghai Biren Technology Co and GigaDevice Semiconductor, together.\n\n> A quote.\n",
]
SLUGS = [None, None, "custom-slug", "another-slug"]
ALIASES = [(), (), ("old/story/",), ("2025/01/story.html",)]
COMPANY_NAMES = ["MiniMax", "Alpha Co", "Zhipu Labs", "Beta Holdings"]
COMPANY_ALIASES = [(), ("Zhipu",), ("Alpha",), ("second one",)]
DESCRIPTIONS = ["Large-model developer", "GPU maker", "A company"]
FOOTERS = [  # what a custom theme prints in every page's footer: data from all over the site
    "{{ site.articles|length }} articles; newest: {{ site.articles[0].title if site.articles else '' }}",
    "{% for c in site.companies %}{{ c.name }} ({{ site.company_pages[c.id].mentions|length }}) {% endfor %}",
    "{{ site.held_back|length }} held back:{% for a in site.held_back %} {{ a.title }}{% endfor %}",
    "{% for a in site.articles %}{{ site.summaries[a.slug][:24] }} {{ a.published|iso }}|{% endfor %}",
    "{% for s in site.sources %}{{ s.name }}: {{ s.articles|length }}; {% endfor %}{{ config.page_size }}",
]
FOOTER_ANCHOR = "<p>{{ config.title }}: {{ config.description }}</p>"
FEED_ANCHOR = "  <title>{{ title }}</title>\n"


@dataclass
class Note:
    title: str
    published: str
    companies: tuple[str, ...]
    body: str
    slug: str | None = None
    aliases: tuple[str, ...] = ()
    draft: bool = False

    def text(self) -> str:
        lines = [
            f"title: {json.dumps(self.title)}",
            f"published: {self.published}",
            "source: Test Source",
            f"companies: {json.dumps(list(self.companies))}",
        ]
        if self.slug:
            lines.append(f"slug: {self.slug}")
        if self.aliases:
            lines.append(f"aliases: {json.dumps(list(self.aliases))}")
        if self.draft:
            lines.append("draft: true")
        return "---\n" + "\n".join(lines) + "\n---\n\n" + self.body


@dataclass
class Entry:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    description: str = "A company"


@dataclass
class Theme:
    custom: bool = False
    footer: int = 0
    feed: int | None = None  # a footer printed in every Atom feed too


@dataclass
class State:
    notes: dict[str, Note] = field(default_factory=dict)  # file name -> note
    registry: list[Entry] = field(default_factory=list)
    title: str = "Source Archive"
    page_size: int = 10
    seed: bool = True  # the real seed article (with its raw original) is in the archive
    theme: Theme = field(default_factory=Theme)
    now: str = NOWS[0]


def _registry() -> list[Entry]:
    import yaml

    return [
        Entry(e["id"], e["name"], tuple(e["aliases"]), e["description"])
        for e in yaml.safe_load((REPO / "seeds/companies.yaml").read_text(encoding="utf-8"))
    ]


class IncrementalEqualsClean(RuleBasedStateMachine):
    """Each step edits the project's files; after each, the incremental build equals a clean one."""

    def __init__(self):
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="stateful-"))
        self.root = self.tmp / "project"
        self.env = {k: os.environ.get(k) for k in ("SITE_BUILDER_PAGEFIND", "SOURCE_DATE_EPOCH")}
        os.environ["SITE_BUILDER_PAGEFIND"] = ""  # no search index: this is about the keys
        self.state = State(registry=_registry())
        self.builder: Builder | None = None
        self.in_place = False
        self.last_good: dict[str, str] = {}
        self.builds = 0

    def teardown(self):
        for k, v in self.env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.tmp, ignore_errors=True)

    # writing the state into the project's files ------------------------------------------------------
    def _write_note(self, name: str) -> None:
        (self.root / "seeds/articles" / name).write_text(self.state.notes[name].text(), encoding="utf-8")

    def _write_registry(self) -> None:
        text = "".join(
            f"- id: {e.id}\n  name: {json.dumps(e.name)}\n  aliases: {json.dumps(list(e.aliases))}\n"
            f"  description: {json.dumps(e.description)}\n\n"
            for e in self.state.registry
        )
        (self.root / "seeds/companies.yaml").write_text(text, encoding="utf-8")

    def _write_config(self) -> None:
        (self.root / "seeds/site.toml").write_text(
            f"title = {json.dumps(self.state.title)}\npage_size = {self.state.page_size}\n", encoding="utf-8"
        )

    def _write_theme(self) -> None:
        """The default theme: no templates/ folder (the package's theme); a custom one: templates/ holding its own
        base.html and atom.xml (the rest from the package's theme)."""
        theme, folder = self.state.theme, self.root / "templates"
        if not theme.custom:
            shutil.rmtree(folder, ignore_errors=True)
            return
        folder.mkdir(exist_ok=True)
        for name in ("base.html", "atom.xml"):
            text = (PACKAGE_THEME / name).read_text(encoding="utf-8")
            if name == "base.html":
                text = text.replace(FOOTER_ANCHOR, FOOTER_ANCHOR + f"\n    <p>{FOOTERS[theme.footer]}</p>")
            if name == "atom.xml" and theme.feed is not None:
                text = text.replace(FEED_ANCHOR, FEED_ANCHOR + f"  <subtitle>{FOOTERS[theme.feed]}</subtitle>\n")
            if not (folder / name).exists() or (folder / name).read_text(encoding="utf-8") != text:
                (folder / name).write_text(text, encoding="utf-8")

    # steps ---------------------------------------------------------------------------------------------
    @initialize(in_place=st.booleans(), notes=st.integers(0, 4))
    def start(self, in_place, notes):
        shutil.copytree(REPO / "seeds", self.root / "seeds")
        ids = [e.id for e in self.state.registry]
        for i in range(notes):
            self.state.notes[f"note-{i}.md"] = Note(TITLES[i], DATES[i], tuple(ids[i : i + 2]), BODIES[i % len(BODIES)])
            self._write_note(f"note-{i}.md")
        self._write_config()
        os.environ["SOURCE_DATE_EPOCH"] = self.state.now
        self.in_place = in_place
        self.builder = Builder(self.root / "seeds", self.root / "output", self.root / "templates", in_place=in_place)

    names = st.sampled_from([f"note-{i}.md" for i in range(8)])

    @rule(
        name=names,
        title=st.sampled_from(TITLES),
        date=st.sampled_from(DATES),
        body=st.sampled_from(BODIES),
        companies=st.sets(st.integers(0, 7), max_size=3),
    )
    def add_article(self, name, title, date, body, companies):
        ids = [e.id for e in self.state.registry]
        self.state.notes[name] = Note(title, date, tuple(ids[i] for i in sorted(companies) if i < len(ids)), body)
        self._write_note(name)

    def _pick(self, data) -> str:
        return data.draw(st.sampled_from(sorted(self.state.notes)))

    @precondition(lambda self: self.state.notes)
    @rule(data=st.data())
    def remove_article(self, data):
        name = self._pick(data)
        del self.state.notes[name]
        (self.root / "seeds/articles" / name).unlink()

    @precondition(lambda self: self.state.notes)
    @rule(data=st.data(), new=names)
    def rename_article_file(self, data, new):
        name = self._pick(data)
        if new in self.state.notes:
            return
        self.state.notes[new] = self.state.notes.pop(name)
        os.rename(self.root / "seeds/articles" / name, self.root / "seeds/articles" / new)

    @precondition(lambda self: self.state.notes)
    @rule(data=st.data(), what=st.sampled_from(["title", "body", "published", "companies", "aliases", "slug", "draft"]))
    def edit_article(self, data, what):
        name = self._pick(data)
        note = self.state.notes[name]
        ids = [e.id for e in self.state.registry]
        values = {
            "title": st.sampled_from(TITLES),
            "body": st.sampled_from(BODIES),
            "published": st.sampled_from(DATES),
            "companies": st.lists(st.sampled_from(ids), unique=True, max_size=3).map(tuple),
            "aliases": st.sampled_from(ALIASES),
            "slug": st.sampled_from(SLUGS),
            "draft": st.booleans(),
        }
        self.state.notes[name] = replace(note, **{what: data.draw(values[what], label=what)})
        self._write_note(name)

    @rule()
    def toggle_the_seed_article(self):
        path = self.root / "seeds/articles" / SEED_ARTICLE.name
        self.state.seed = not self.state.seed
        if self.state.seed:
            shutil.copy(SEED_ARTICLE, path)
        else:
            path.unlink()

    @rule(
        count=st.integers(1, 3),
        last=st.sampled_from(["2026-01-18T08:00:00+08:00", "2026-01-19T08:00:00+08:00"]),
        word=st.sampled_from([b"witnessed", b"saw"]),
    )
    def correct_the_seed_article(self, count, last, word):
        """Corrections: the seed article with 1 to 3 versions of its original (`versions:`), the last one's
        retrieval time and words changing."""
        if not self.state.seed:
            return
        text = SEED_ARTICLE.read_text(encoding="utf-8")
        if count > 1:
            seed_raw = SEED_ARTICLE.parent.parent / "raw" / "000_ff62e51a18514715.txt"
            entries = [("raw/000_ff62e51a18514715.txt", seed_raw.read_bytes(), "2026-01-16T09:30:00+08:00")]
            for n in range(2, count + 1):
                data = seed_raw.read_bytes().replace(b"witnessed", word if n == count else b"had", 1)
                data += b"\n\nCorrection %d.\n" % n
                name = f"seed-v{n}-{hashlib.sha256(data).hexdigest()[:8]}.txt"
                (self.root / "seeds/raw" / name).write_bytes(data)
                entries.append((f"raw/{name}", data, last if n == count else "2026-01-17T08:00:00+08:00"))
            rel, data, _ = entries[-1]
            sha = hashlib.sha256(data).hexdigest()
            head, body = text[4:].split("\n---\n", 1)
            head = re.sub(r"^raw: .*$", f"raw: {rel}", head, flags=re.M)
            head = re.sub(r"^raw_sha256: .*$", f"raw_sha256: {sha}", head, flags=re.M)
            head += f"\nupdated: '{last}'\nversions:\n" + "".join(
                f"- original: {r}\n  sha256: {hashlib.sha256(d).hexdigest()}\n  retrieved: '{t}'\n"
                for r, d, t in entries
            ).rstrip("\n")
            text = f"---\n{head}\n---\n{body}"
        (self.root / "seeds/articles" / SEED_ARTICLE.name).write_text(text, encoding="utf-8")

    @rule(data=st.data(), what=st.sampled_from(["add", "name", "aliases", "description"]))
    def edit_registry(self, data, what):
        registry = self.state.registry
        if what == "add":
            registry.append(Entry(f"company-{len(registry)}", data.draw(st.sampled_from(COMPANY_NAMES))))
        else:
            i = data.draw(st.integers(0, len(registry) - 1))
            value = data.draw(
                {
                    "name": st.sampled_from(COMPANY_NAMES),
                    "aliases": st.sampled_from(COMPANY_ALIASES),
                    "description": st.sampled_from(DESCRIPTIONS),
                }[what],
                label=what,
            )
            registry[i] = replace(registry[i], **{what: value})
        self._write_registry()

    @rule(title=st.sampled_from(["Source Archive", "Another Archive"]), page_size=st.sampled_from([1, 2, 3, 10]))
    def edit_settings(self, title, page_size):
        self.state.title, self.state.page_size = title, page_size
        self._write_config()

    @rule(
        custom=st.booleans(), footer=st.integers(0, len(FOOTERS) - 1), feed=st.none() | st.integers(0, len(FOOTERS) - 1)
    )
    def edit_templates(self, custom, footer, feed):
        self.state.theme = Theme(custom, footer, feed)
        self._write_theme()

    @rule(now=st.sampled_from(NOWS))
    def change_now(self, now):
        self.state.now = os.environ["SOURCE_DATE_EPOCH"] = now

    @rule()
    def restart(self):
        """A new process: the cache comes from disk."""
        self.builder = Builder(
            self.root / "seeds", self.root / "output", self.root / "templates", in_place=self.in_place
        )

    # after every step ------------------------------------------------------------------------------------
    @invariant()
    def incremental_equals_clean(self):
        if self.builder is None:
            return
        output, clean = self.root / "output", self.tmp / f"clean-{self.builds}"
        self.builds += 1
        try:
            self.builder.build()
            failed = None
        except SiteError as exc:
            failed = exc
        try:
            Builder(self.root / "seeds", clean, self.root / "templates", cache=False).build()
            clean_failed = None
        except SiteError as exc:
            clean_failed = exc
        event("build " + ("failed" if failed else "succeeded"))
        if failed is not None or clean_failed is not None:
            assert failed is not None and clean_failed is not None, (failed, clean_failed)
            assert [str(p) for p in failed.problems] == [str(p) for p in clean_failed.problems]
            assert tree_digest(output) == self.last_good  # output left exactly as it was
            return
        self.last_good = tree_digest(output)
        assert self.last_good == tree_digest(clean)
        shutil.rmtree(clean)


_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
if settings.get_current_profile_name() == "long":  # pytest --hypothesis-profile=long: the profile's own sizes
    IncrementalEqualsClean.TestCase.settings = settings(**_SETTINGS)
else:  # the default suite: a few short runs (about half a minute)
    IncrementalEqualsClean.TestCase.settings = settings(max_examples=5, stateful_step_count=12, **_SETTINGS)

TestIncrementalEqualsClean = IncrementalEqualsClean.TestCase
