"""Patrol tracks from a CSV/XLSX table (unit, time, lon, lat under English or Chinese names), a GPX file (each
track is a unit: its ``<name>``, else the file name) or any point file :func:`geo.io.read_file` reads.

Times keep their zone; naive times are local to ``timezone`` (default Asia/Shanghai). Rows without a position or
a time are reported, not fatal unless nothing is usable; duplicate fixes (same unit and time) are dropped. The
result is sorted by unit and time, positions in WGS-84 (``coords`` converts GCJ-02/BD-09).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.errors import EmptyFileError, GeoError, UnsupportedFileError
from geo.tables import LAT_NAMES, LON_NAMES, TABLE_SUFFIXES, find_column, project, read_table
from geo.times import parse_times, row_list

__all__ = ["UNIT_NAMES", "TIME_NAMES", "Tracks", "read_tracks"]

UNIT_NAMES = (
    "unit", "unit_id", "unit_name", "trajectory_id", "track_id", "traj_id", "track", "vehicle", "vehicle_id",
    "car", "plate", "plate_no", "device", "device_id", "imei", "terminal", "tracker", "officer", "person",
    "巡逻单元", "巡组", "巡逻组", "单元", "车辆", "车牌", "车牌号", "车牌号码", "设备", "设备号", "设备编号",
    "终端", "终端号", "终端编号", "警员", "警号", "人员", "民警", "姓名", "name",
)  # fmt: skip
TIME_NAMES = (
    "time", "ts", "timestamp", "datetime", "date_time", "t", "gps_time", "gpstime", "fix_time", "recorded_at",
    "loc_time", "定位时间", "gps时间", "采集时间", "上报时间", "时间", "日期时间", "时刻",
)  # fmt: skip
DATE_NAMES = ("date", "日期")


@dataclass
class Tracks:
    """Fixes with ``unit`` (text), ``ts`` (UTC), ``lon``, ``lat``, sorted by unit and time."""

    frame: pd.DataFrame
    file_name: str
    fields: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs_in: str = "EPSG:4326"


@dataclass
class _Raw:
    unit: pd.Series
    time: pd.Series
    lon: np.ndarray
    lat: np.ndarray
    fields: dict[str, str]
    notes: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs_in: str = "EPSG:4326"


def _units(frame: pd.DataFrame, name: str, given: str | None) -> tuple[pd.Series, str | None]:
    col = find_column([str(c) for c in frame.columns], UNIT_NAMES, given)
    if col is None:
        return pd.Series([Path(name).stem] * len(frame)), None
    return frame[col].reset_index(drop=True), col


def _time_column(frame: pd.DataFrame, name: str) -> tuple[pd.Series, dict[str, str]]:
    columns = [str(c) for c in frame.columns]
    col = find_column(columns, TIME_NAMES)
    date = find_column(columns, DATE_NAMES)
    if col is None and date is None:
        raise GeoError(
            f"{name} has no time column: name it time, timestamp or 定位时间/时间. Its columns are: "
            f"{', '.join(columns)}."
        )
    if col is None or date is None:
        only = col or date
        assert only is not None
        return frame[only].reset_index(drop=True), {"time": only}
    clock = frame[col].astype(str).str.strip()
    if clock.str.fullmatch(r"\d{1,2}:\d\d(:\d\d(\.\d+)?)?|").all():
        joined = frame[date].astype(str).str.strip() + " " + clock
        return joined.reset_index(drop=True), {"date": date, "time": col}
    return frame[col].reset_index(drop=True), {"time": col}


def _from_table(path: Path, name: str, layer: str | None, encoding: str | None, unit_field: str | None,
                crs: str | None, coords: str) -> _Raw:  # fmt: skip
    frame, enc, notes = read_table(path, name, sheet=layer, encoding=encoding)
    columns = [str(c) for c in frame.columns]
    lon_col, lat_col = find_column(columns, LON_NAMES), find_column(columns, LAT_NAMES)
    if not (lon_col and lat_col):
        raise UnsupportedFileError(
            f"{name} has no lon/lat columns: name them lon/lat, longitude/latitude or 经度/纬度. Its columns are: "
            f"{', '.join(columns)}."
        )
    lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(dtype=np.float64)
    lon, lat, crs_in = project(lon, lat, crs, coords, name)
    unit, unit_col = _units(frame, name, unit_field)
    time, fields = _time_column(frame, name)
    fields.update(lon=lon_col, lat=lat_col, **({"unit": unit_col} if unit_col else {}))
    return _Raw(unit, time, lon, lat, fields, notes, enc, crs_in)


def _tag(elem: ET.Element) -> str:
    return elem.tag.rsplit("}", 1)[-1]


def _from_gpx(path: Path, name: str, crs: str | None, coords: str) -> _Raw:
    units: list[int] = []
    times: list[str] = []
    lons: list[float] = []
    lats: list[float] = []
    names: list[str | None] = []
    stack: list[str] = []
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            tag = _tag(elem)
            if event == "start":
                stack.append(tag)
                if tag == "trk":
                    names.append(None)
                continue
            stack.pop()
            if tag == "name" and stack and stack[-1] == "trk":
                names[-1] = (elem.text or "").strip() or None
            elif tag == "trkpt" and names:
                when = next((c.text or "" for c in elem if _tag(c) == "time"), "")
                units.append(len(names) - 1)
                times.append(when.strip())
                lons.append(float(elem.get("lon", "nan")))
                lats.append(float(elem.get("lat", "nan")))
                elem.clear()
    except (ET.ParseError, ValueError) as exc:
        raise UnsupportedFileError(f"{name} is not a readable GPX file ({exc}).") from exc
    if not units:
        raise EmptyFileError(f"{name} holds no track points (<trk><trkseg><trkpt>): export the tracks, not routes.")
    stem = Path(name).stem
    unnamed = sum(n is None for n in names)
    labels = [n or (stem if unnamed == 1 else f"{stem}#{i + 1}") for i, n in enumerate(names)]
    unit = pd.Series(np.asarray(labels, dtype=object)[np.asarray(units)])
    lon, lat, crs_in = project(np.asarray(lons), np.asarray(lats), crs, coords, name)
    fields = {"unit": "trk/name", "time": "trkpt/time", "lon": "trkpt@lon", "lat": "trkpt@lat"}
    return _Raw(unit, pd.Series(times), lon, lat, fields, [], "UTF-8", crs_in)


def _from_vector(path: Path, name: str, layer: str | None, encoding: str | None, unit_field: str | None,
                 crs: str | None, coords: str) -> _Raw:  # fmt: skip
    from geo.io import read_file

    result = read_file(path, layer=layer, crs=crs, encoding=encoding, coords=coords)
    frame = result.frame
    geoms = np.asarray(frame.geometry.values, dtype=object)
    kinds = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
    if kinds - {0}:
        raise UnsupportedFileError(
            f"{name} holds lines or polygons, not GPS fixes: export the track points (one point per fix with its "
            "time), as CSV, GPX or GeoPackage points."
        )
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    unit, unit_col = _units(table, name, unit_field)
    time, fields = _time_column(table, name)
    fields.update(geometry="geometry", **({"unit": unit_col} if unit_col else {}))
    lon, lat = shapely.get_x(geoms), shapely.get_y(geoms)
    return _Raw(unit, time, lon, lat, fields, list(result.warnings), result.encoding, result.crs_in)


def _unit_codes(unit: pd.Series, name: str, notes: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, labels)``: each row's unit as an index into ``labels`` (sorted, stripped; blanks → file stem)."""
    codes, uniques = pd.factorize(unit, use_na_sentinel=True)
    stem = Path(name).stem
    texts = np.array([str(u).strip() for u in uniques] + [""], dtype=object)
    blank = texts[codes] == ""  # NaN (code −1) reads the last entry, "", too
    if blank.any():
        notes.append(f"{name}: rows {row_list(blank)} name no unit: counted as unit {stem!r}.")
    texts[texts == ""] = stem
    labels, inverse = np.unique(texts.astype(str), return_inverse=True)
    return inverse.reshape(-1)[codes].astype(np.int64), labels.astype(object)


def _sorted_unique(codes: np.ndarray, stamps: np.ndarray, lon: np.ndarray, lat: np.ndarray, name: str,
                   notes: list[str]) -> tuple[np.ndarray, int]:  # fmt: skip
    """Row order by unit and time with repeated (unit, time) fixes dropped; returns the order and the drop count."""
    order = np.lexsort((stamps, codes))
    c, t = codes[order], stamps[order]
    same = np.concatenate([[False], (c[1:] == c[:-1]) & (t[1:] == t[:-1])])
    moved = same & np.concatenate([[False], (lon[order][1:] != lon[order][:-1]) | (lat[order][1:] != lat[order][:-1])])
    if moved.any():
        notes.append(f"{name}: {int(moved.sum())} fixes repeat a unit's time at another position: first kept.")
    return order[~same], int(same.sum())


def _clean(raw: _Raw, name: str, timezone: str | None) -> Tracks:
    parsed = parse_times(raw.time, timezone)
    notes = raw.notes + [f"{name}: {n}" for n in parsed.notes]
    lon, lat = raw.lon, raw.lat
    placed = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    placed &= ~((lon == 0) & (lat == 0))
    timed = ~(parsed.missing | parsed.bad)
    if (~placed).any():
        notes.append(f"{name}: rows {row_list(~placed)} have no usable position and were skipped.")
    if (~timed).any():
        notes.append(f"{name}: rows {row_list(~timed)} have no readable time and were skipped.")
    usable = np.flatnonzero(placed & timed)
    if not usable.size:
        raise GeoError(
            f"{name}: no row has both a position and a time ({int(placed.sum())} with a position, "
            f"{int(timed.sum())} with a time): check the lon/lat and time columns."
        )
    codes, labels = _unit_codes(raw.unit, name, notes)
    stamps = parsed.times.dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
    keep, duplicates = _sorted_unique(codes[usable], stamps[usable].view(np.int64), lon[usable], lat[usable], name,
                                      notes)  # fmt: skip
    rows = usable[keep]
    frame = pd.DataFrame({"unit": labels[codes[rows]], "ts": pd.to_datetime(stamps[rows]).tz_localize("UTC"),
                          "lon": lon[rows], "lat": lat[rows]})  # fmt: skip
    counts = {
        "rows": len(raw.lon),
        "features": len(frame),
        "units": int(np.unique(codes[rows]).size),
        "duplicates": duplicates,
        "without_coordinates": int((~placed).sum()),
        "without_time": int((~timed).sum()),
    }
    return Tracks(frame, name, raw.fields, counts, notes, raw.encoding, raw.crs_in)


def read_tracks(
    path: Path,
    *,
    file_name: str | None = None,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    coords: str = "wgs84",
    timezone: str | None = None,
    unit_field: str | None = None,
) -> Tracks:
    """Read the patrol fixes of ``path`` (CSV/TSV/TXT/XLSX, GPX, or a point layer of any vector format)."""
    name = file_name or path.name
    suffix = path.suffix.lower()
    if suffix == ".gpx":
        raw = _from_gpx(path, name, crs, coords)
    elif suffix in TABLE_SUFFIXES:
        raw = _from_table(path, name, layer, encoding, unit_field, crs, coords)
    else:
        raw = _from_vector(path, name, layer, encoding, unit_field, crs, coords)
    return _clean(raw, name, timezone)
