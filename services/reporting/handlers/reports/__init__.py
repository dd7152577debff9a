"""The read side: every figure the JSON API, the CSV/XLSX exports and the pages show, read once
from the read models and folded by the domain, so a page, an export and the API never
disagree. Entry points only parse parameters and serialise what these return."""
