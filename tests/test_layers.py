"""The one-directional layering of site_builder: a module imports only from its own level or levels to its left."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "site_builder"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE
INIT = "__init__"  # the package itself: holds only __version__, imports nothing, may be imported by anyone

LEVELS: list[list[str]] = [
    ["errors", "safefs", "chars"],
    ["config", "urls", "theme", "limits"],
    ["models"],
    ["frontmatter", "load", "importer", "index", "markup", "fastmd", "new", "schedule", "sources", "related", "charts",
     "parallel", "outputs", "originals"],
    ["render", "favicon", "feeds", "checks", "citations", "source_pages", "redirects", "api", "schemas", "jsonfeed", "search"],
    ["write", "cache", "pipeline"],
    ["build"],
    ["cli", "serve", "__main__"],
]
LEVEL = {module: i for i, level in enumerate(LEVELS) for module in level}

# Imports inside one level: only these, which exist today (a new one must be added here on purpose).
SAME_LEVEL = {
    ("load", "frontmatter"),
    ("cache", "write"),
    ("pipeline", "cache"),
    ("index", "load"),
    ("index", "markup"),
    ("markup", "fastmd"),
    ("parallel", "markup"),
    ("index", "schedule"),
    ("index", "sources"),
    ("index", "related"),
    ("render", "citations"),
    ("source_pages", "render"),
    ("source_pages", "feeds"),
    ("api", "citations"),
    ("api", "schemas"),
    ("importer", "frontmatter"),
    ("importer", "load"),
    ("importer", "markup"),
    ("new", "load"),
    ("cli", "serve"),
    ("__main__", "cli"),
}


def package_modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE_DIR.glob("*.py"))


def imports_of(source: str, modules: set[str]) -> set[str]:
    """Package modules that source imports, anywhere in it (top level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == PACKAGE:
                    found.add(parts[1] if len(parts) > 1 else INIT)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                parts = (node.module or "").split(".")
                if parts[0] != PACKAGE:
                    continue
                rest = parts[1:]
            else:
                assert node.level == 1, f"'from {'.' * node.level}...' reaches outside the package"
                rest = node.module.split(".") if node.module else []
            if rest:
                found.add(rest[0])
            else:  # from . import name / from site_builder import name: a module, or a name of __init__
                found.update(alias.name if alias.name in modules else INIT for alias in node.names)
    return found


def violations(module: str, imported: set[str]) -> list[str]:
    """Why each import of module breaks the rule (empty when it keeps it)."""
    problems = []
    for target in sorted(imported - {module}):
        if target == INIT:
            continue
        if target not in LEVEL:
            problems.append(f"{module} imports {target}, which has no level")
        elif LEVEL[target] > LEVEL[module]:
            problems.append(f"{module} (level {LEVEL[module]}) imports {target} (level {LEVEL[target]}, to its right)")
        elif LEVEL[target] == LEVEL[module] and (module, target) not in SAME_LEVEL:
            problems.append(f"{module} imports {target} from its own level, which is not an allowed same-level import")
    return problems


def graph() -> dict[str, set[str]]:
    modules = set(package_modules())
    return {m: imports_of((PACKAGE_DIR / f"{m}.py").read_text(encoding="utf-8"), modules) - {m} for m in modules}


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle in the import graph, as a list of modules, or None."""
    state: dict[str, int] = {}  # 1 visiting, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_every_module_has_exactly_one_level():
    listed = [m for level in LEVELS for m in level]
    assert len(listed) == len(set(listed))
    assert sorted([*listed, INIT]) == package_modules()


def test_the_package_init_imports_nothing_from_the_package():
    assert graph()[INIT] == set()


@pytest.mark.parametrize("module", [m for level in LEVELS for m in level])
def test_module_imports_only_from_its_level_or_to_the_left(module):
    imported = graph()[module]
    assert violations(module, imported) == []


def test_every_allowed_same_level_import_exists_and_stays_inside_a_level():
    edges = graph()
    for importer, imported in sorted(SAME_LEVEL):
        assert LEVEL[importer] == LEVEL[imported], (importer, imported)
        assert imported in edges[importer], f"{importer} no longer imports {imported}: drop it from SAME_LEVEL"


def test_the_package_import_graph_has_no_cycle():
    assert find_cycle(graph()) is None
    assert find_cycle({a: {b for x, b in SAME_LEVEL if x == a} for a, _ in SAME_LEVEL}) is None


def test_the_import_reader_sees_every_form_of_import():
    modules = set(package_modules())
    source = """
from . import __version__
from . import frontmatter
from .errors import SiteError
import site_builder.urls
from site_builder.models import Site
from site_builder import config
import os, json
from jinja2 import Environment

def later():
    from .serve import serve
"""
    assert imports_of(source, modules) == {INIT, "frontmatter", "errors", "urls", "models", "config", "serve"}


@pytest.mark.parametrize("module, source", [
    ("models", "from .render import Renderer\n"),  # two levels to the right
    ("errors", "from .config import Config\n"),  # one level to the right
    ("write", "def f():\n    from site_builder.build import build\n"),  # hidden in a function, absolute
    ("markup", "from .load import Archive\n"),  # same level, not an allowed pair
    ("frontmatter", "from . import load\n"),  # the reverse of an allowed pair
    ("render", "from .feeds import render_feeds\n"),  # same level, not allowed
    ("urls", "import site_builder.nonexistent\n"),  # a module with no level
])
def test_the_rule_rejects_imports_to_the_right_and_unlisted_same_level_imports(module, source):
    assert violations(module, imports_of(source, set(package_modules()))) != []


def test_the_rule_accepts_imports_to_the_left():
    modules = set(package_modules())
    assert violations("build", imports_of("from .write import write_site\nfrom .errors import Problem\n", modules)) == []
    assert violations("index", imports_of("from .load import Archive\nfrom .models import Site\n", modules)) == []
