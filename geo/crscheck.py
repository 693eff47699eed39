"""Does a coordinate reference system fit the numbers in a file, and which one fits when none is given?

A file without a CRS is never guessed silently: :func:`suggest_crs` words the likely candidates from the
values alone (degrees, Gauss-Krüger metres with a zone prefix, metres without one). A declared CRS is checked
by :func:`check_crs`: degrees labelled as metres (or the reverse) and data that would land outside the
system's area of use are refused with the reason.

>>> suggest_crs((38_512_000.0, 4_300_000.0, 38_530_000.0, 4_320_000.0))[:52]
'x ≈ 38,500,000: a 3° Gauss-Krüger zone with zone pre'
"""

from __future__ import annotations

import math

from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError
from pyproj.transformer import AreaOfInterest

from geo.errors import CRSMismatchError, GeoError

__all__ = ["Bounds", "parse_crs", "crs_label", "looks_like_degrees", "suggest_crs", "check_crs"]

Bounds = tuple[float, float, float, float]

_CHINA = (73.0, 15.0, 136.0, 54.0)
_EXACT_DATUMS = ("China 2000", "World Geodetic System 1984")
_MARGIN_DEG = 1.0


def parse_crs(value: object) -> CRS:
    """A pyproj CRS from ``EPSG:4490``, ``4490``, WKT or PROJ text; :class:`GeoError` if PROJ lacks it."""
    try:
        return CRS.from_user_input(value)
    except CRSError as exc:
        raise GeoError(
            f"unknown coordinate system {value!r}: pass an EPSG code such as EPSG:4490 (CGCS2000) "
            "or EPSG:4527 (CGCS2000 3° Gauss-Krüger zone 39)"
        ) from exc


def crs_label(crs: CRS) -> str:
    """``EPSG:4490`` when the CRS has an authority code, else its WKT name."""
    auth = crs.to_authority(min_confidence=90)
    return f"{auth[0]}:{auth[1]}" if auth else crs.name


def looks_like_degrees(bounds: Bounds) -> bool:
    xmin, ymin, xmax, ymax = bounds
    return xmin >= -180.0 and xmax <= 180.0 and ymin >= -90.0 and ymax <= 90.0


def _in_china(bounds: Bounds) -> bool:
    return bounds[0] >= _CHINA[0] and bounds[2] <= _CHINA[2] and bounds[1] >= _CHINA[1] and bounds[3] <= _CHINA[3]


def _name(code: int) -> str:
    return f"EPSG:{code} ({CRS.from_epsg(code).name})"


def _gauss_kruger(zone: int) -> str | None:
    if 25 <= zone <= 45:  # 3° zones 25–45 carry their number as the millions of x
        main, xian, beijing, kind = 4513 + zone - 25, 2349 + zone - 25, 2401 + zone - 25, "3°"
    elif 13 <= zone <= 23:  # 6° zones 13–23
        main, xian, beijing, kind = 4491 + zone - 13, 2327 + zone - 13, 21413 + zone - 13, "6°"
    else:
        return None
    return (
        f"x ≈ {zone * 1_000_000 + 500_000:,}: a {kind} Gauss-Krüger zone with zone prefix (zone {zone}), "
        f"e.g. --crs {_name(main)}; for older data Xi'an 80 is EPSG:{xian}, Beijing 54 EPSG:{beijing}"
    )


def suggest_crs(bounds: Bounds) -> str:
    """Words naming the likely CRS for coordinates with these bounds (in the file's own units)."""
    xmin, ymin, xmax, ymax = bounds
    if looks_like_degrees(bounds):
        if not _in_china(bounds):
            return "values look like lon/lat degrees: if they are WGS-84, pass --crs EPSG:4326"
        return (
            "values look like lon/lat degrees: pass --crs EPSG:4490 (CGCS2000) or EPSG:4326 (WGS-84); "
            "if they were digitised on Amap/Tencent add --coords gcj02, on Baidu --coords bd09"
        )
    zone = int(xmin // 1_000_000)
    if zone == int(xmax // 1_000_000) and ymin > 0 and ymax < 10_000_000:
        words = _gauss_kruger(zone)
        if words:
            return words
    if xmin > 0 and xmax < 1_000_000 and ymin > 0 and ymax < 10_000_000:
        return (
            f"x ≈ {(xmin + xmax) / 2:,.0f} without a zone prefix: a Gauss-Krüger (or UTM) projection "
            "whose central meridian the file does not record; pass the one for your area, e.g. "
            "--crs EPSG:4547 (CGCS2000 3° Gauss-Krüger CM 114°E); EPSG:4534–4554 are the 3° zones, "
            "EPSG:4502–4512 the 6° zones"
        )
    return (
        f"values (x {xmin:,.0f} … {xmax:,.0f}, y {ymin:,.0f} … {ymax:,.0f}) match no common Chinese "
        "system; "
        "ask whoever exported the file for its coordinate system and pass it as --crs EPSG:n"
    )


def _lonlat_bounds(crs: CRS, bounds: Bounds) -> Bounds | None:
    try:
        transformer = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        out = transformer.transform_bounds(*bounds, densify_pts=21)
    except Exception:  # PROJ raises several types for points outside a projection's domain
        return None
    if not all(math.isfinite(v) for v in out):
        return None
    return (out[0], out[1], out[2], out[3])


def _where(bounds: Bounds) -> str:
    return f"lon {bounds[0]:.3f} … {bounds[2]:.3f}, lat {bounds[1]:.3f} … {bounds[3]:.3f}"


def _check_units(crs: CRS, bounds: Bounds, head: str) -> None:
    degrees = looks_like_degrees(bounds)
    if crs.is_geographic and not degrees:
        raise CRSMismatchError(
            f"{head} is a lon/lat system, but the values (up to {max(map(abs, bounds)):,.0f}) are not "
            f"degrees; {suggest_crs(bounds)}."
        )
    if crs.is_projected and degrees:
        raise CRSMismatchError(f"{head} is a projected system (metres or feet), but its {suggest_crs(bounds)}.")


def _check_area(crs: CRS, bounds: Bounds, head: str) -> list[str]:
    area = crs.area_of_use
    if area is None or area.west > area.east:
        return []
    lonlat = _lonlat_bounds(crs, bounds)
    aou = (
        area.west - _MARGIN_DEG,
        area.south - _MARGIN_DEG,
        area.east + _MARGIN_DEG,
        area.north + _MARGIN_DEG,
    )
    scope = f"whose area of use is {area.name.rstrip('.')} ({_where(area.bounds)})"
    if lonlat is None or lonlat[2] < aou[0] or lonlat[0] > aou[2] or lonlat[3] < aou[1] or lonlat[1] > aou[3]:
        place = "nowhere on Earth" if lonlat is None else _where(lonlat)
        raise CRSMismatchError(
            f"{head}, {scope}, but with it the data would lie at {place}, far outside that area; {suggest_crs(bounds)}."
        )
    if lonlat[0] < aou[0] or lonlat[2] > aou[2] or lonlat[1] < aou[1] or lonlat[3] > aou[3]:
        return [f"{head}, {scope}, but the data reaches {_where(lonlat)}, partly outside it: check the CRS."]
    return []


def _datum_warning(crs: CRS, bounds: Bounds, head: str) -> list[str]:
    geodetic = crs.geodetic_crs
    datum = geodetic.datum.name if geodetic is not None and geodetic.datum is not None else ""
    lonlat = _lonlat_bounds(crs, bounds)
    if geodetic is None or lonlat is None or any(name in datum for name in _EXACT_DATUMS):
        return []
    aoi = AreaOfInterest(*lonlat)
    transformer = Transformer.from_crs(geodetic, "EPSG:4326", always_xy=True, area_of_interest=aoi)
    if "Ballpark" not in transformer.description:
        return []
    return [
        f"{head}: PROJ knows no exact transformation from the {datum} datum to WGS-84 here, so positions "
        "may be off by tens of metres (up to ~100 m); compare with other layers, or re-export in CGCS2000."
    ]


def check_crs(crs: CRS, bounds: Bounds, file_name: str, given: bool = False) -> list[str]:
    """Refuse (:class:`CRSMismatchError`) a CRS that cannot fit ``bounds``; return warnings for doubtful ones.

    ``bounds`` are the data's (xmin, ymin, xmax, ymax) in the CRS's own units; ``given`` says whether the CRS
    came from the caller (``--crs``) rather than from the file.
    """
    origin = "--crs" if given else "the file's CRS"
    head = f"{file_name}: {origin} {crs_label(crs)} ({crs.name})"
    _check_units(crs, bounds, head)
    return _check_area(crs, bounds, head) + _datum_warning(crs, bounds, head)
