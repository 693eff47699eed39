"""Patrol fixes: loading an import with COPY (text blocks built in bulk, not row by row), and reading a time
window back fast for coverage."""

from __future__ import annotations

import binascii
import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.services.options import ImportOptions
from api.services.points import Imported
from geo.coverage import Fixes
from geo.tracks import read_tracks

__all__ = ["write_patrols", "copy_fixes", "point_ewkb_hex", "load_fixes", "fix_span"]

_SAMPLE = 2000


_EWKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_CHUNK = 100_000


def point_ewkb_hex(lon: np.ndarray, lat: np.ndarray) -> list[str]:
    """Hex EWKB of SRID 4326 points, what PostGIS reads for a geometry in COPY; vectorised (no GEOS objects)."""
    rec = np.empty(lon.size, dtype=_EWKB_POINT)
    rec["order"], rec["type"], rec["srid"] = 1, 0x20000001, 4326
    rec["x"], rec["y"] = lon, lat
    text = binascii.hexlify(rec.tobytes()).decode("ascii")
    width = 2 * _EWKB_POINT.itemsize
    return [text[k : k + width] for k in range(0, len(text), width)]


def _copy_lines(frame: pd.DataFrame, import_id: int) -> Iterator[bytes]:
    """COPY text-format lines (unit, ts, geom, import_id), in chunks."""
    codes, labels = pd.factorize(frame["unit"])
    units = np.array([str(u).translate(_COPY_ESCAPES) for u in labels], dtype=object)
    stamps = frame["ts"].dt.tz_convert(None).to_numpy(dtype="datetime64[us]")
    for start in range(0, len(frame), _CHUNK):
        part = slice(start, start + _CHUNK)
        times = np.datetime_as_string(stamps[part], unit="us")
        geoms = point_ewkb_hex(frame["lon"].to_numpy()[part], frame["lat"].to_numpy()[part])
        tail = f"\t{import_id}\n"
        lines = [f"{u}\t{t}Z\t{g}{tail}" for u, t, g in zip(units[codes[part]], times, geoms, strict=True)]
        yield "".join(lines).encode("utf-8")


def copy_fixes(session: Session, frame: pd.DataFrame, import_id: int) -> int:
    """COPY the fixes of ``frame`` (unit, ts, lon, lat) into ``patrol_fix`` on the session's connection."""
    raw = session.connection().connection.driver_connection
    assert raw is not None, "COPY needs an open psycopg connection"
    with raw.cursor() as cur, cur.copy("COPY patrol_fix (unit, ts, geom, import_id) FROM STDIN") as copy:
        for block in _copy_lines(frame, import_id):
            copy.write(block)
    return len(frame)


def _offset_note(session: Session, lon: np.ndarray, lat: np.ndarray, name: str) -> list[str]:
    """Warn when most of a sample of fixes falls outside every grid (GCJ-02/BD-09 offsets, wrong file)."""
    if not session.scalar(text("SELECT count(*) FROM grid WHERE valid_to IS NULL")):
        return []
    pick = np.linspace(0, lon.size - 1, min(lon.size, _SAMPLE)).astype(int)
    inside = session.scalar(
        text(
            "SELECT count(*) FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) AS p(x, y) WHERE EXISTS"
            " (SELECT 1 FROM grid g WHERE g.valid_to IS NULL"
            " AND ST_Intersects(g.geom, ST_SetSRID(ST_Point(p.x, p.y), 4326)))"
        ),
        {"x": lon[pick].tolist(), "y": lat[pick].tolist()},
    )
    if inside is not None and inside < pick.size / 2:
        return [
            f"{name}: {pick.size - inside} of {pick.size} sampled fixes lie outside every grid. If the device or "
            "app records Amap/Baidu coordinates, import again with --coords gcj02 or --coords bd09."
        ]
    return []


def _replace_span(session: Session, frame: pd.DataFrame) -> int:
    """Remove the stored fixes of the file's units within the file's time span (a corrected export replaces)."""
    result = session.execute(
        text("DELETE FROM patrol_fix WHERE unit = ANY(:u) AND ts BETWEEN :t0 AND :t1"),
        {"u": list(pd.unique(frame["unit"])), "t0": frame["ts"].min(), "t1": frame["ts"].max()},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def write_patrols(session: Session, path: Path, options: ImportOptions, import_id: int, name: str) -> Imported:
    """Read the tracks and COPY them into ``patrol_fix``."""
    tracks = read_tracks(
        path,
        file_name=name,
        layer=options.layer,
        crs=options.crs,
        encoding=options.encoding,
        coords=options.coords,
        timezone=options.timezone,
        unit_field=options.code_field,
    )
    frame = tracks.frame
    lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
    replaced = _replace_span(session, frame) if options.mode == "replace" else 0
    written = copy_fixes(session, frame, import_id)
    counts = {**tracks.counts, "features": written, "replaced": replaced}
    warnings = tracks.notes + _offset_note(session, lon, lat, name)
    return {"counts": counts, "warnings": warnings, "fields": tracks.fields,
            "crs_in": tracks.crs_in, "encoding": tracks.encoding}  # fmt: skip


def _copy_out(session: Session, sql: str, params: dict[str, object]) -> io.BytesIO:
    """The output of ``COPY … TO STDOUT`` on the session's connection, in memory."""
    raw = session.connection().connection.driver_connection
    assert raw is not None, "COPY needs an open psycopg connection"
    buffer = io.BytesIO()
    with raw.cursor() as cur, cur.copy(sql, params) as copy:
        for chunk in copy:
            buffer.write(chunk)
    buffer.seek(0)
    return buffer


def load_fixes(
    session: Session, start: datetime, end: datetime, bbox: tuple[float, float, float, float] | None = None
) -> Fixes:
    """The fixes with ``start <= ts < end`` of the units with a fix inside ``bbox`` (lon/lat, when given),
    sorted by unit and time.

    Read with one ``COPY … TO STDOUT`` (CSV) and parsed by pandas: about a second per million fixes.
    """
    where = "ts >= %(start)s AND ts < %(end)s"
    params: dict[str, object] = {"start": start, "end": end}
    if bbox is not None:
        # every fix of the units seen in the box: dropping a unit's fixes outside would make its neighbours
        # consecutive, and join fixes that the definition keeps apart
        where += (
            " AND unit IN (SELECT unit FROM patrol_fix WHERE ts >= %(start)s AND ts < %(end)s"
            " AND geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326))"
        )
        params.update(x0=bbox[0], y0=bbox[1], x1=bbox[2], y1=bbox[3])
    sql = (
        "COPY (SELECT unit, extract(epoch FROM ts)::float8, ST_X(geom), ST_Y(geom) FROM patrol_fix"
        f" WHERE {where}) TO STDOUT WITH (FORMAT csv)"
    )
    buffer = _copy_out(session, sql, params)
    if not buffer.getbuffer().nbytes:
        empty = np.zeros(0)
        return Fixes(np.zeros(0, dtype=np.int64), empty, empty, empty)
    table = pd.read_csv(
        buffer, header=None, names=["unit", "t", "x", "y"], dtype={"unit": str}, keep_default_na=False, engine="c"
    )
    codes, _ = pd.factorize(table["unit"])
    t = table["t"].to_numpy(dtype=np.float64)
    order = np.lexsort((t, codes))
    return Fixes(
        codes[order].astype(np.int64),
        t[order],
        table["x"].to_numpy(dtype=np.float64)[order],
        table["y"].to_numpy(dtype=np.float64)[order],
    )


def fix_span(session: Session) -> tuple[datetime | None, datetime | None]:
    """The first and last stored fix times."""
    row = session.execute(text("SELECT min(ts), max(ts) FROM patrol_fix")).one()
    return row[0], row[1]
