"""Reading patrol tracks: CSV with Chinese headers, GPX, the real GeoLife GeoPackage; times, duplicates, gaps."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geo.crs import wgs84_to_gcj02
from geo.errors import GeoError
from geo.tracks import read_tracks

GEOLIFE = Path(__file__).resolve().parents[1] / "fixtures" / "real" / "beijing_geolife" / "demodata_geolife.gpkg"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_csv_with_chinese_headers_naive_times_and_gbk(tmp_path):
    path = _write(
        tmp_path / "巡逻.csv",
        "车牌号,定位时间,经度,纬度\n"
        "冀A1234,2026-11-01 08:00:00,114.77,37.75\n"
        "冀A1234,2026-11-01 08:01:00,114.771,37.75\n"
        "冀A5678,2026/11/01 08:00,114.78,37.75\n",
        encoding="gbk",
    )
    tracks = read_tracks(path)
    assert tracks.fields == {"time": "定位时间", "lon": "经度", "lat": "纬度", "unit": "车牌号"}
    assert tracks.encoding == "GB18030"
    assert list(tracks.frame["unit"]) == ["冀A1234", "冀A1234", "冀A5678"]
    # naive times are Beijing time: 08:00 local is 00:00 UTC
    assert tracks.frame["ts"].iloc[0] == pd.Timestamp("2026-11-01T00:00:00Z")
    assert tracks.frame["ts"].iloc[2] == pd.Timestamp("2026-11-01T00:00:00Z")
    assert tracks.counts["units"] == 2


def test_zones_are_kept_and_naive_times_follow_the_option(tmp_path):
    path = _write(
        tmp_path / "p.csv",
        "unit,time,lon,lat\nA,2026-11-01T08:00:00Z,1,1\nA,2026-11-01 08:00:00,1.001,1\n",
    )
    tracks = read_tracks(path, timezone="America/Chicago")
    times = list(tracks.frame["ts"])
    assert times[0] == pd.Timestamp("2026-11-01T08:00:00Z")  # explicit zone kept
    assert times[1] == pd.Timestamp("2026-11-01T14:00:00Z")  # DST ended at 02:00: 08:00 CST is UTC-6
    with pytest.raises(GeoError, match="unknown time zone"):
        read_tracks(path, timezone="Mars/Olympus")


def test_duplicates_dropped_and_bad_rows_reported(tmp_path):
    path = _write(
        tmp_path / "p.csv",
        "unit,time,lon,lat\n"
        "A,2026-11-01T08:00:00+08:00,114.77,37.75\n"
        "A,2026-11-01T08:00:00+08:00,114.77,37.75\n"  # exact duplicate
        "A,2026-11-01T08:00:00+08:00,114.78,37.75\n"  # same time elsewhere: first kept
        "A,,114.77,37.75\n"
        "A,2026-11-01T08:02:00+08:00,,\n"
        "A,2026-11-01T08:03:00+08:00,0,0\n"
        "B,not a time,114.77,37.75\n"
        ",2026-11-01T08:05:00+08:00,114.79,37.75\n",
    )
    tracks = read_tracks(path)
    assert tracks.counts == {
        "rows": 8,
        "features": 2,
        "units": 2,
        "duplicates": 2,
        "without_coordinates": 2,
        "without_time": 2,
    }
    text = " ".join(tracks.notes)
    assert "rows 5, 6 have no usable position" in text
    assert "rows 4, 7 have no readable time" in text
    assert "repeat a unit's time at another position" in text
    assert "name no unit" in text and set(tracks.frame["unit"]) == {"A", "p"}


def test_nothing_usable_is_an_error(tmp_path):
    path = _write(tmp_path / "p.csv", "unit,time,lon,lat\nA,,114.7,37.7\nA,2026-11-01,,\n")
    with pytest.raises(GeoError, match=r"p.csv: no row has both a position and a time"):
        read_tracks(path)
    with pytest.raises(GeoError, match="no time column"):
        read_tracks(_write(tmp_path / "q.csv", "unit,lon,lat\nA,114.7,37.7\n"))


def test_gcj02_is_converted(tmp_path):
    lon, lat = wgs84_to_gcj02([114.77], [37.75])
    path = _write(
        tmp_path / "p.csv", f"unit,time,lng,lat\nA,2026-11-01T08:00:00+08:00,{float(lon[0])!r},{float(lat[0])!r}\n"
    )
    tracks = read_tracks(path, coords="gcj02")
    assert abs(tracks.frame["lon"].iloc[0] - 114.77) < 1e-7
    assert abs(tracks.frame["lat"].iloc[0] - 37.75) < 1e-7


def _gpx(tracks: list[tuple[str | None, list[tuple[float, float, str]]]]) -> str:
    parts = ['<?xml version="1.0"?>\n<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">']
    for name, points in tracks:
        parts.append("<trk>" + (f"<name>{name}</name>" if name else "") + "<trkseg>")
        parts += [f'<trkpt lat="{lat}" lon="{lon}"><ele>50</ele><time>{t}</time></trkpt>' for lon, lat, t in points]
        parts.append("</trkseg></trk>")
    return "\n".join(parts + ["</gpx>"])


def test_gpx_tracks_are_units_named_or_after_the_file(tmp_path):
    pts = [(116.39, 39.9, "2009-02-04T04:32:53Z"), (116.391, 39.9, "2009-02-04T04:33:53Z")]
    path = _write(tmp_path / "walk.gpx", _gpx([("巡逻一组", pts), (None, pts), (None, pts[:1])]))
    tracks = read_tracks(path)
    assert list(tracks.frame["unit"].unique()) == ["walk#2", "walk#3", "巡逻一组"]
    assert tracks.counts["features"] == 5
    assert tracks.frame["ts"].iloc[0] == pd.Timestamp("2009-02-04T04:32:53Z")
    single = read_tracks(_write(tmp_path / "one.gpx", _gpx([(None, pts)])))
    assert set(single.frame["unit"]) == {"one"}
    with pytest.raises(GeoError, match="no track points"):
        read_tracks(_write(tmp_path / "empty.gpx", _gpx([])))


def test_real_geolife_geopackage():
    tracks = read_tracks(GEOLIFE)
    assert tracks.fields["unit"] == "trajectory_id" and tracks.fields["time"] == "t"
    assert tracks.counts == {
        "rows": 5908,
        "features": 5908,
        "units": 5,
        "duplicates": 0,
        "without_coordinates": 0,
        "without_time": 0,
    }
    frame = tracks.frame
    assert frame["ts"].min() == pd.Timestamp("2008-12-11T04:42:14Z")  # "+00" kept as UTC, not read as Beijing
    per_unit = frame.groupby("unit")["ts"].apply(lambda s: s.is_monotonic_increasing)
    assert per_unit.all()
    assert np.all((frame["lon"] > 116.2) & (frame["lon"] < 116.7) & (frame["lat"] > 39.8) & (frame["lat"] < 40.1))
