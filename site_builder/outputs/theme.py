"""Which templates a build uses, and whether the output keys were written for them.

The default theme ships inside the package (site_builder/theme/). A project may have its own templates folder
(templates/, or --templates): each file in it overrides the package's file of the same path, file by file (a
Jinja ChoiceLoader searches the project's folder first, then the package's; static files the same way).

Every output's key (outputs.Keys) lists what the Python code that defines the output declares it depends on:
an article page its article, neighbours and related reading; the home page the articles it lists; and so on.
A template, though, receives the whole `site` (every article, body, summary, company page, the held-back
articles...), so a key is only right for templates that read no more than the code declares. Those are the
templates the keys were written for and tested against: the package's theme. A project's own template (an
override, or an edited copy of the default one) may print anything (`{{ site.articles|length }}` in a footer),
so when any template the build can load comes from the project's folder, every output made with a template is
keyed on a digest of the whole site instead (Keys.whole_site): any change to any input that reaches the site
remakes every such page. A custom theme is then always right, by construction, and the package's theme keeps
its fine-grained keys (an edit remakes only the pages that show it). Static files are never rendered, so a
project's own stylesheet keeps the fine keys.

Why not record what each template reads (a read-tracking proxy over the site)? It would be finer for custom
themes, but it is correct only if every value a render can reach (through Jinja filters and globals, loops,
attribute and item access, methods on the records, in forked writer processes) is either declared or tracked,
and the reads must travel back from the writers to the build cache. Knowing where each file comes from is
simple and obviously correct: the cost is that with a custom template an edit remakes every templated page
(the bytes are compared before writing, so unchanged files still keep their inode and mtime) as a clean build
would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STATIC = "static"  # files served as they are (keyed by their bytes), never rendered: not part of the templates
PACKAGE_THEME = Path(__file__).resolve().parents[1] / "theme"  # the default theme: package data
PROJECT_TEMPLATES = Path("templates")  # a project's own templates, used when there (and no --templates given)


def _files(folder: Path | None) -> dict[str, Path]:
    """{path under folder: file} of every file under folder (none when it is not a folder)."""
    if folder is None or not folder.is_dir():
        return {}
    return {p.relative_to(folder).as_posix(): p for p in sorted(folder.rglob("*")) if p.is_file()}


@dataclass(frozen=True)
class Theme:
    """The templates of one build: the project's folder (None: the package's theme alone), then the package's."""

    folder: Path | None

    @classmethod
    def resolve(cls, templates: Path | None) -> Theme:
        """The theme for a project's templates folder (None: templates/), which is used when it is a folder (the
        command line refuses a --templates folder that is not there). The package's own theme folder, named as
        the project's, is the package's theme alone."""
        folder = templates if templates is not None else PROJECT_TEMPLATES
        if not folder.is_dir() or folder.resolve() == PACKAGE_THEME:
            return cls(None)
        return cls(folder)

    @property
    def folders(self) -> list[Path]:
        """Where templates are looked up, in order."""
        return [self.folder, PACKAGE_THEME] if self.folder is not None else [PACKAGE_THEME]

    def files(self) -> dict[str, Path]:
        """{path under the theme: the file used}: the project's file where it has one, else the package's."""
        return {**_files(PACKAGE_THEME), **_files(self.folder)}

    def static_files(self) -> dict[str, Path]:
        """{path under static/: the file used}."""
        prefix = STATIC + "/"
        return {rel[len(prefix) :]: path for rel, path in sorted(self.files().items()) if rel.startswith(prefix)}

    def overrides(self) -> list[str]:
        """The templates (files outside static/) the project's folder holds: each may be loaded by a build."""
        return [rel for rel in _files(self.folder) if rel.split("/", 1)[0] != STATIC]

    @property
    def is_default(self) -> bool:
        """True when every template a build can load comes from the package's theme (see the module's text)."""
        return not self.overrides()
