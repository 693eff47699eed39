"""Errors raised by :mod:`geo`, worded so that a clerk knows what to do next."""

__all__ = ["GeoError"]


class GeoError(ValueError):
    """Input data that cannot be used as given; the message says why and what to do."""
