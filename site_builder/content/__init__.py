"""Reading the archive: front matter, loading files, Markdown, importing raw texts. Imports only core."""
