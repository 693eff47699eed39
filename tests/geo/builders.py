"""Small files built inside the tests (in ``tmp_path``): Shapefiles, GeoJSON, zips; the real fixtures."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import Transformer
from shapely.geometry import Polygon, box, mapping

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
CHICAGO = REAL / "chicago"
SF = REAL / "san_francisco"

# Two grids in 赵县 (Zhao County, Hebei), lon/lat; names in Chinese, codes with leading zeros.
ZHAOXIAN = [box(114.76, 37.74, 114.78, 37.76), box(114.78, 37.74, 114.80, 37.76)]
NAMES = ["赵州镇第一网格", "范庄镇·南街网格"]
CODES = ["001", "002"]


def grids(crs: Any = 4490, geoms: list[Any] | None = None) -> gpd.GeoDataFrame:
    """The two test grids as a GeoDataFrame with columns 编码 and 名称."""
    return gpd.GeoDataFrame({"编码": CODES, "名称": NAMES}, geometry=geoms or ZHAOXIAN, crs=crs)


def write(frame: gpd.GeoDataFrame, path: Path, **kwargs: Any) -> Path:
    """Write with pyogrio (GDAL); returns ``path``."""
    pyogrio.write_dataframe(frame, path, **kwargs)
    return path


def without_prj(shp: Path) -> Path:
    """Delete the Shapefile's .prj (as old exports lack it); returns ``shp``."""
    shp.with_suffix(".prj").unlink()
    return shp


def shapefile_parts(shp: Path) -> list[Path]:
    return sorted(p for p in shp.parent.iterdir() if p.stem == shp.stem)


def zip_files(target: Path, files: dict[str, Path | bytes | str]) -> Path:
    """A zip whose entries (name → file path or content) are written as given."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            if isinstance(content, Path):
                zf.write(content, name)
            else:
                zf.writestr(name, content)
    return target


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def feature(geom: Any, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": properties, "geometry": mapping(geom)}


def project(geoms: list[Any], src: Any, dst: Any) -> list[Any]:
    """Geometries reprojected with pyproj (lon/lat order)."""
    transformer = Transformer.from_crs(src, dst, always_xy=True)

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return list(shapely.transform(np.asarray(geoms, dtype=object), _xy))


def max_distance_m(a: list[Any], b: list[Any]) -> float:
    """The largest Hausdorff distance between paired lon/lat geometries, in metres (an upper bound: a degree
    of longitude is taken as long as a degree of latitude)."""
    pairs = shapely.hausdorff_distance(np.asarray(a, dtype=object), np.asarray(b, dtype=object))
    return float(np.max(pairs)) * 111_320.0


def bowtie() -> Polygon:
    """A self-intersecting polygon (invalid: "Self-intersection")."""
    return Polygon([(114.76, 37.74), (114.78, 37.76), (114.78, 37.74), (114.76, 37.76)])


# -- hostile uploads -----------------------------------------------------------------------------------------


def zip_bomb(target: Path, unpacked_bytes: int) -> Path:
    """An honest zip bomb: one entry of ``unpacked_bytes`` zeros, a few MB on disk."""
    chunk = b"\0" * 2**24
    with (
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("网格/grids.geojson", "w", force_zip64=True) as fh,
    ):
        for _ in range(-(-unpacked_bytes // len(chunk))):
            fh.write(chunk)
    return target


def lying_zip(target: Path, real_bytes: int = 50 * 2**20, declared: int = 100) -> Path:
    """A zip whose only entry declares ``declared`` bytes but inflates to ``real_bytes``."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("grids.geojson", b"\0" * real_bytes)
    data = bytearray(target.read_bytes())
    struct.pack_into("<I", data, data.find(b"PK\x03\x04") + 22, declared)
    struct.pack_into("<I", data, data.find(b"PK\x01\x02") + 24, declared)
    target.write_bytes(bytes(data))
    return target


def many_grids(count: int = 50) -> gpd.GeoDataFrame:
    """``count`` narrow grids side by side in 赵县, codes 000…, Chinese names."""
    geoms = [box(114.76 + i * 0.001, 37.74, 114.761 + i * 0.001, 37.75) for i in range(count)]
    codes = [f"{i:03d}" for i in range(count)]
    return gpd.GeoDataFrame({"编码": codes, "名称": ["网格"] * count}, geometry=geoms, crs=4326)


def truncated(path: Path, keep: float = 0.5) -> Path:
    """Cut ``path`` short, as an interrupted copy does; returns ``path``."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep) + 3])
    return path


def mixed_encoding_shapefile(shp: Path, names: list[str]) -> Path:
    """A Shapefile without .cpg whose names alternate UTF-8 (rows 1, 3 …) and GBK (rows 2, 4 …)."""
    width = 30
    slots = [f"SLOT{i:02d}".ljust(width, "x") for i in range(len(names))]
    frame = gpd.GeoDataFrame(
        {"编码": [f"{i + 1:03d}" for i in range(len(names))], "名称": slots},
        geometry=[box(114.76 + i * 0.01, 37.74, 114.77 + i * 0.01, 37.75) for i in range(len(names))],
        crs=4326,
    )
    write(frame, shp, encoding="UTF-8")
    shp.with_suffix(".cpg").unlink()
    dbf = shp.with_suffix(".dbf")
    data = dbf.read_bytes()
    for i, (slot, name) in enumerate(zip(slots, names, strict=True)):
        data = data.replace(slot.encode(), name.encode("utf-8" if i % 2 == 0 else "gbk").ljust(width, b" "))
    dbf.write_bytes(data)
    return shp


def with_coordinate(shp: Path, old: float, new: float) -> Path:
    """Replace the one coordinate ``old`` in a written .shp by ``new`` (GDAL refuses to write NaN/inf)."""
    data = shp.read_bytes()
    packed = struct.pack("<d", old)
    assert data.count(packed) == 1, "the marker coordinate must occur once"
    shp.write_bytes(data.replace(packed, struct.pack("<d", new)))
    return shp


def circle(vertices: int, lon: float = 114.78, lat: float = 37.75, radius: float = 0.01) -> Polygon:
    angles = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    return Polygon(np.column_stack([lon + radius * np.cos(angles), lat + radius * np.sin(angles)]))


def wide_csv(path: Path, columns: int, rows: int = 3) -> Path:
    """A CSV with a WKT column and ``columns`` more columns."""
    extra = [f"c{i}" for i in range(columns)]
    wkt = '"POLYGON((114.76 37.74,114.77 37.74,114.77 37.75,114.76 37.74))"'
    lines = ["code,name,wkt," + ",".join(extra)]
    lines += [f"{r:03d},n{r},{wkt}," + ",".join("1" * len(extra)) for r in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
