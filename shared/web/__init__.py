"""Server-rendered pages every service shares: layout, language, stylesheet, staff session.

Pages are plain HTML from Jinja2 templates with a little progressive JavaScript, so they stay
small on a slow phone network and work with a keyboard and a screen reader. Nothing is fetched
from a CDN: the city's network may be closed.
"""
