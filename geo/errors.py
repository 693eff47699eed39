"""Errors raised by :mod:`geo`, worded so that a clerk knows what to do next.

Every class is a :class:`GeoError` (a ``ValueError``); the message names the file, the feature and the fix.

>>> try:
...     raise NoCRSError("grids.shp has no coordinate system: pass --crs EPSG:4490")
... except GeoError as exc:
...     print(exc)
grids.shp has no coordinate system: pass --crs EPSG:4490
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GeoError",
    "UnsupportedFileError",
    "EmptyFileError",
    "FileTooLargeError",
    "UnsafeArchiveError",
    "LayerError",
    "NoCRSError",
    "CRSMismatchError",
    "FieldError",
    "ShiftedColumnsError",
    "InvalidFeaturesError",
]


class GeoError(ValueError):
    """Input data that cannot be used as given; the message says why and what to do."""


class UnsupportedFileError(GeoError):
    """Not a format we read, a damaged file, or a Shapefile missing its sidecar files."""


class EmptyFileError(UnsupportedFileError):
    """The file (or its layer) holds no bytes, no features or no geometry at all."""


class FileTooLargeError(GeoError):
    """The upload is over the size limit."""


class UnsafeArchiveError(GeoError):
    """A zip that would write outside its folder, or unpacks to too much (a zip bomb)."""


class LayerError(GeoError):
    """The file holds several layers and none (or an unknown one) was chosen; ``layers`` lists them."""

    def __init__(self, message: str, layers: list[str]) -> None:
        super().__init__(message)
        self.layers = list(layers)


class NoCRSError(GeoError):
    """The file carries no coordinate reference system; the message suggests candidates."""


class CRSMismatchError(GeoError):
    """The declared (or given) CRS puts the data somewhere it cannot be, e.g. degrees labelled as metres."""


class FieldError(GeoError):
    """A named attribute column does not exist, or no code column could be recognised."""


class ShiftedColumnsError(FieldError):
    """The attribute columns look shifted against their headers (the code column holds names)."""


class InvalidFeaturesError(GeoError):
    """Features that cannot be imported. ``problems`` holds ``{"row", "code", "problem"}`` dicts.

    ``row`` is the 1-based feature number in the file (for a CSV: the data row, header not counted).
    """

    def __init__(self, message: str, problems: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.problems = list(problems)
