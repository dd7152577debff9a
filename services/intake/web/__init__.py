"""The resident's pages: the QR landing form, the confirmation and the tracking page.

Templates, static files, strings (`catalog`) and pure view helpers; the routes that render
them are in entrypoints/pages*.py.
"""

from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
