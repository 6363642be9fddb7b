"""site-builder: a static site generator for a source archive of news articles, with a company index."""

__version__ = "0.1.0"
