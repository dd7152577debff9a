"""The staff workbench's templates, strings, static files and pure view helpers (the page routes
are in entrypoints/pages/)."""
