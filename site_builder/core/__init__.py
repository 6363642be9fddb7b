"""The base every layer stands on: errors, settings, URLs, the data model, safe file access. Imports nothing of the package above it."""
