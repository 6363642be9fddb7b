"""`site-builder init [FOLDER]`: scaffold a new archive (seeds/ with its settings, registry and folders)."""

from __future__ import annotations

from pathlib import Path

from ..content.load import ARTICLES_DIR, RAW_DIR, REGISTRY_NAME
from ..core.config import CONFIG_NAME, Config
from ..core.errors import SiteError, display_path
from ..core.safefs import write_new
from . import SERVE_DIR

SOURCE = "seeds"  # the commands' default --source
IGNORED = ("/output/", "/.site-builder-cache/", f"/{SERVE_DIR}/")  # what a build and serve leave
# The originals are published byte for byte and checked against raw_sha256: Git must never change their line ends
# (Git for Windows checks text files out with "\r\n" by default, core.autocrlf).
ATTRIBUTES = f"/{SOURCE}/{RAW_DIR}/** -text\n"


def _settings() -> str:
    """site.toml with every setting commented out at its default, each with what it means."""
    d = Config()
    meaning = {
        "title": "the site's name",
        "description": "the home page's description",
        "language": "the language tag of the site's pages (their lang)",
        "timezone": "the archive's time zone (an IANA name), in which `import` reads the publisher's times\n"
        "# and `new` dates articles; pages show each article's own offset",
        "page_size": "articles per home page; more pages go to page/2/ and on",
        "feed_size": "entries per feed",
        "publication": "the source `import` and `new` write unless --publication is given",
    }
    lines = [
        "# Site settings for `site-builder build`. Every setting is optional: each line below shows its",
        "# default; remove the '#' and change the value to set it.",
        "",
        "# The address the site is published at, ending in '/', e.g. \"https://user.github.io/archive/\".",
        "# Not set: pages link to each other relatively and work anywhere, but canonical links, the sitemap",
        "# and the archive URL in citations are left out, feeds and the API use root-relative URLs, and every",
        "# build warns (fails with --strict). `build --base-url URL` sets it for one build.",
        '# base_url = "https://example.org/archive/"',
    ]
    for key, text in meaning.items():
        value = getattr(d, key)
        shown = str(value) if isinstance(value, int) else '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines += ["", f"# {text[0].upper()}{text[1:]}.", f"# {key} = {shown}"]
    return "\n".join(lines) + "\n"


REGISTRY = """\
# The company registry: every company the archive mentions, as a YAML list. An article names them by id
# (companies: [example-co]); each has a page listing the articles that mention it. For example:
#
# - id: example-co
#   name: Example Company Ltd
#   aliases: [ExampleCo]
#   description: Chip designer
[]
"""


def init_archive(folder: Path) -> list[Path]:
    """Create folder/seeds/ (site.toml, companies.yaml, articles/, raw/), and folder/.gitignore and
    folder/.gitattributes where there are none; refuse, writing nothing, when any of the seeds files or folders is
    there already. Returns what was made."""
    source = folder / SOURCE
    files = {source / CONFIG_NAME: _settings(), source / REGISTRY_NAME: REGISTRY}
    folders = [source / ARTICLES_DIR, source / RAW_DIR]
    for path in [*files, *folders]:
        if path.exists() or path.is_symlink():
            raise SiteError.single(display_path(path), "already exists: init writes nothing over an existing archive")
    if folder.exists() and not folder.is_dir():
        raise SiteError.single(display_path(folder), "not a folder")
    made: list[Path] = []
    try:
        for path in folders:
            path.mkdir(parents=True)
            made.append(path)
        for path, text in files.items():
            write_new(path, text.encode("utf-8"))
            made.append(path)
        ignore = folder / ".gitignore"
        if not ignore.exists() and not ignore.is_symlink():
            write_new(ignore, ("\n".join(IGNORED) + "\n").encode("utf-8"))
            made.append(ignore)
        attributes = folder / ".gitattributes"
        if not attributes.exists() and not attributes.is_symlink():
            write_new(attributes, ATTRIBUTES.encode("utf-8"))
            made.append(attributes)
    except OSError as exc:
        raise SiteError.single(
            display_path(getattr(exc, "filename", None) or folder), f"cannot create: {exc.strerror or exc}"
        ) from None
    return made
