"""mypy, strict, passes for site_builder/core and site_builder/model (pyproject.toml's [tool.mypy]), and CI runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import REPO


def mypy(cwd, tmp_path) -> subprocess.CompletedProcess[str]:
    """`mypy` as .ci/run runs it (its files and options from pyproject.toml), with a cache of its own."""
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_core_and_model_pass_mypy_strict(tmp_path):
    result = mypy(REPO, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "site_builder/core" not in result.stdout


@pytest.mark.parametrize(
    "module, code, error",
    [
        ("core/chars.py", "def oops(x: int) -> str:\n    return x\n", "[return-value]"),
        ("model/related.py", "def unannotated(x):\n    return x\n", "[no-untyped-def]"),  # strict
        ("model/schedule.py", "def generic(x: list) -> None:\n    pass\n", "[type-arg]"),  # strict
    ],
)
def test_a_type_error_in_core_or_model_fails(tmp_path, module, code, error):
    copy = tmp_path / "repo"
    shutil.copytree(REPO / "site_builder", copy / "site_builder", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", copy / "pyproject.toml")
    with open(copy / "site_builder" / module, "a", encoding="utf-8") as f:
        f.write("\n\n" + code)
    result = mypy(copy, tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"site_builder/{module}" in result.stdout and error in result.stdout


def test_ci_runs_mypy_after_the_tests_and_stops_on_failure():
    lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert "set -euo pipefail" in lines
    tests = next(i for i, line in enumerate(lines) if "bin/pytest" in line)
    typing = [i for i, line in enumerate(lines) if line.strip() == ".venv/bin/mypy"]
    assert typing and typing[0] > tests
