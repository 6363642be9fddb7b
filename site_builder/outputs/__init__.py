"""Every file of the site defined as an output (path, key, maker): pages, feeds, API, citations, redirects, charts, search. Imports core, content and model."""
