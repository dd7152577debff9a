"""What a report cannot answer. Pure."""

from __future__ import annotations


class InvalidQuery(ValueError):
    """A query parameter the figures cannot honour (an inverted or too long period, a series
    without its key, too many slices); the API answers 422 naming the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
