"""Small files built inside the tests (in ``tmp_path``): Shapefiles, GeoJSON, zips; the real fixtures."""

from __future__ import annotations

import json
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
