"""Which templates the output keys were written for: the default theme, known by the digest of each file.

Every output's key (outputs.Keys) lists what the Python code that defines the output declares it depends on:
an article page its article, neighbours and related reading; the home page the articles it lists; and so on.
A template, though, receives the whole `site` (every article, body, summary, company page, the held-back
articles...), so a key is only right for templates that read no more than the code declares. Those are the
templates the keys were written for and tested against: the default theme shipped in templates/. A user's own
theme, or an edited copy of the default one, may print anything (`{{ site.articles|length }}` in a footer), so
every output made with it is keyed on a digest of the whole site instead (Keys.whole_site): any change to any
input that reaches the site remakes every such page. A custom theme is then always right, by construction,
and the default theme keeps its fine-grained keys (an edit remakes only the pages that show it).

Why not record what each template reads (a read-tracking proxy over the site)? It would be finer for custom
themes, but it is correct only if every value a render can reach (through Jinja filters and globals, loops,
attribute and item access, methods on the records, in forked writer processes) is either declared or tracked,
and the reads must travel back from the writers to the build cache. Matching the files is simple and
obviously correct: the cost is that with a custom theme an edit remakes every templated page (the bytes are
compared before writing, so unchanged files still keep their inode and mtime) as a clean build would.

DEFAULT_THEME is checked against templates/ by tests/test_trust_incremental.py: an edit of a default template
must update it there, and the tests that the default theme's keys are complete (tests/test_incremental.py,
tests/test_stateful.py) then run against the new template.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

STATIC = "static"  # files served as they are (keyed by their bytes), never rendered: not part of the theme

# sha256 of every template of the default theme (every file under templates/ but static/), line endings as LF
DEFAULT_THEME = {
    '404.html': 'bd63b0714192cdd1bad06152cbc058b64fda79326f57a08e74b2a304c433cfb7',
    '_macros.html': '92b71ccc2e80aa512d140276386c0ef1ce45c7fb1468a2c61bfeb9ff48901a96',
    'archive.html': '51a54af58421199678e4e719b3fd3d97cd3eb3e70a57aa841856114081e3dc3a',
    'article.html': 'e0821cf98c0520b537b98b55320c64713703dce64a6977911802514eae778a9a',
    'atom.xml': 'ee678cfc4a200b3ad362a4e2cd5c7000a0d42c97fc2ed4018128f44630bfe874',
    'base.html': 'a49268f177344788fcb0210dd37e260b73a1234ef7ba01dcba9fa83ce0c5dad7',
    'companies.html': '185ff07c3d34d115a30735189e2fe87f380065ca7eeff958cfcfb5ea9f291e60',
    'company.html': 'c4170ec005da3eba7237589e1a5487d2bdea7f3929d25ae2df76417163597af9',
    'feeds.html': '085a50703248730565aeb93862b786b09d8a82668e6f272bba7b662350ef6a2c',
    'index.html': '8ea30edde003c7fc75e48e4cc6f099293b3914e115bf63c5a7c169ebc9244057',
    'original.html': '2b41008e4ffbd2abd4497a824c6d7ba7463854d7ec1f2300dbee02d51d050432',
    'redirect.html': '7bc49f822a36b9dd1002b2cc2cd9c424bf525f569d91605a8476bb0ca3953a50',
    'search.html': '0a81c4fe72cecc7b57320160b2d92f75aa47052b582f56584596ed496332d342',
    'sitemap.xml': '83cf71ff2b638ffb1abeeb4db3cfbed884aee7743fc911040f228e077da9bfa2',
    'source.html': '427b32f38fce2637644b4827c63a2dfdeab324db13e6f4478d7909383bcc63ca',
    'sources.html': '4cb5e17dda14f78c130cfcb07c7339bf8284f19bf79d940de3ff616fe8f9fb20',
}


def theme_digests(folder: Path) -> dict[str, str]:
    """{path under folder: sha256} of every template file (every file but those under static/). Line endings
    count as LF: Jinja reads a CRLF template as the same template (a checkout on Windows may convert them)."""
    out = {}
    if folder.is_dir():
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            rel = path.relative_to(folder).as_posix()
            if rel.split("/", 1)[0] != STATIC:
                out[rel] = hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()
    return out


def is_default_theme(folder: Path) -> bool:
    """True when the templates in folder are exactly the default theme's: the same files, the same text."""
    return theme_digests(folder) == DEFAULT_THEME
