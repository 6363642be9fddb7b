"""Running a build: the pipeline, the store (cache), worker processes and the atomic writer. Imports every layer below."""
