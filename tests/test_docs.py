"""The README stays true: every command, option and setting is documented, and CI runs its test command."""

from __future__ import annotations

import argparse
import re
from dataclasses import fields

import pytest

from conftest import REPO
from site_builder.cli import parser
from site_builder.content.frontmatter import SCHEMA
from site_builder.core.config import Config

README = (REPO / "README.md").read_text(encoding="utf-8")
REFERENCE = (REPO / "docs" / "reference.md").read_text(encoding="utf-8")  # the full reference the README links to


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_quick_start_has_exactly_two_commands():
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert commands[0].endswith("site-builder build")
    assert commands[1].endswith("pytest")


def test_ci_runs_the_readme_test_command():
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _quick_start_commands()[1] in ci_lines


@pytest.mark.parametrize("command", sorted(_subcommands()))
def test_readme_documents_every_command_and_option(command):
    assert f"site-builder {command}" in REFERENCE
    assert f"`{command}`" in README  # the README's command line in brief names it
    for action in _subcommands()[command]._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert flag in REFERENCE, f"{command} {flag} is not in docs/reference.md"


@pytest.mark.parametrize("key", [f.name for f in fields(Config)])
def test_readme_documents_every_setting(key):
    assert re.search(rf"^\| `{key}` \|", REFERENCE, re.MULTILINE), key


@pytest.mark.parametrize("key", list(SCHEMA))
def test_readme_documents_every_front_matter_key(key):
    assert re.search(rf"^\| `{key}` \| (required|optional) \|", REFERENCE, re.MULTILINE), key


def _anchors(markdown: str) -> set[str]:
    """GitHub's anchors for a Markdown file's headings."""
    return {
        re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^#+ (.+)$", markdown, re.MULTILINE)
    }


@pytest.mark.parametrize("doc", ["README.md", *(f"docs/{p.name}" for p in sorted((REPO / "docs").glob("*.md")))])
def test_every_relative_link_in_the_docs_leads_to_a_file_and_heading_that_exist(doc):
    path = REPO / doc
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve() if file else path
        assert linked.exists(), f"{doc}: {target} leads nowhere"
        if anchor and linked.suffix == ".md":
            assert anchor in _anchors(linked.read_text(encoding="utf-8")), f"{doc}: no heading for #{anchor}"


def test_the_readme_is_a_front_door():
    assert len(README.splitlines()) < 200
