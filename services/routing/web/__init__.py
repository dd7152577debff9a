"""The staff workbench: page routes, templates, strings and static files."""
