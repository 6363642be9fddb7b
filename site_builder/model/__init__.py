"""The site model built from the loaded archive: companies, sources, related reading, schedule, checks. Imports core and content."""
