"""Commands beyond build and check: the live preview server and new articles. Imports the engine and below."""
