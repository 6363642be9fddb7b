"""Commands beyond build and check: the live preview server and new articles. Imports the engine and below."""

# Where `serve` builds by default: its own folder beside output/, so the deployable output/ never holds the local
# server's address (git-ignored; init's .gitignore names it too)
SERVE_DIR = ".site-builder-serve"
