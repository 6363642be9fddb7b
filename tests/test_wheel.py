"""The wheel carries the default theme: installed into a fresh virtual environment, `site-builder init` and
`site-builder build` make a whole site in an empty folder outside the repository. Slow (a wheel build and a venv):
one test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

from conftest import REPO, SEED_ARTICLE, SEED_RAW, SEED_SLUG


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_the_wheel_installed_elsewhere_inits_and_builds_a_site(tmp_path: Path):
    # the package's sources only (no templates/ beside them, no tests): what the wheel is built from
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "site_builder", src / "site_builder", ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    made = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, src, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    wheel = next(wheels.glob("site_builder-*.whl"))

    env = tmp_path / "venv"
    venv.create(env, with_pip=True)
    bin_dir = env / ("Scripts" if sys.platform == "win32" else "bin")
    python = bin_dir / ("python.exe" if sys.platform == "win32" else "python")
    # the package from the wheel alone; its dependencies are those of this test run, reached through a .pth
    # file (appended after the venv's own site-packages, and not a site folder: no editable install leaks in)
    installed = _run(python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel, cwd=tmp_path)
    assert installed.returncode == 0, installed.stderr
    purelib = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).stdout.strip()
    )
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (purelib / "zz_test_dependencies.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")
    where = _run(python, "-c", "import site_builder; print(site_builder.__file__)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(purelib), where  # the installed copy, not the repository

    site = tmp_path / "elsewhere"
    site.mkdir()
    command = bin_dir / ("site-builder.exe" if sys.platform == "win32" else "site-builder")
    result = _run(command, "init", cwd=site)
    assert result.returncode == 0, result.stderr
    shutil.copy(SEED_ARTICLE, site / "seeds" / "articles")
    shutil.copy(SEED_RAW, site / "seeds" / "raw")
    shutil.copy(REPO / "seeds" / "companies.yaml", site / "seeds" / "companies.yaml")
    result = _run(command, "build", "--base-url", "https://user.example/archive/", "--strict", cwd=site)
    assert result.returncode == 0, result.stderr
    out = site / "output"
    assert not (site / "templates").exists()
    css = next((out / "static").glob("style.*.css"))
    assert css.read_bytes() == (REPO / "site_builder" / "theme" / "static" / "style.css").read_bytes()
    page = (out / "articles" / SEED_SLUG / "index.html").read_text(encoding="utf-8")
    assert f'href="../../static/{css.name}"' in page
    for path in ("index.html", "companies/index.html", "archive/index.html", "feed.xml", "sitemap.xml", "404.html"):
        assert (out / path).is_file(), path
