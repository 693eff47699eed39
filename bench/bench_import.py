"""Import a 20,000-polygon zipped Shapefile of grids, validation included, next to geopandas + to_postgis.

    python -m bench.bench_import            # target: jingwang ≤ 10 s

Both run in this process against the same embedded cluster, each into a fresh database.
"""

from __future__ import annotations

import resource
import zipfile
from pathlib import Path

import geopandas as gpd
from sqlalchemy.orm import Session

from api.services.imports import import_boundaries
from api.services.options import ImportOptions
from bench.city import make_city
from bench.common import OUT, fresh_database, print_table, timed


def grid_shapefile_zip() -> Path:
    """The synthetic city's grids as a zipped Shapefile with a .prj and .cpg (cached in bench/out)."""
    target = OUT / "grids20k_shp.zip"
    if target.exists():
        return target
    _, _, grids = make_city()
    folder = OUT / "grids20k_shp"
    folder.mkdir(parents=True, exist_ok=True)
    grids[["code", "name", "geometry"]].to_file(folder / "grids.shp", encoding="UTF-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.iterdir()):
            zf.write(part, f"网格/{part.name}")  # a Chinese folder inside the zip, as offices send them
    return target


def main() -> None:
    path = grid_shapefile_zip()
    rows = []
    with fresh_database("import") as engine, Session(engine) as session:
        seconds, summary = timed(lambda: import_boundaries(session, "grids", path, ImportOptions()))
        rows.append(
            ("jingwang import (read, validate, repair, write)", f"{seconds:.2f}", str(summary["counts"]["features"]))
        )
    with fresh_database("baseline") as engine:

        def baseline() -> int:
            frame = gpd.read_file(OUT / "grids20k_shp" / "grids.shp")  # unzipped: in the baseline's favour
            frame.to_postgis("grid_baseline", engine, if_exists="replace")
            return len(frame)

        base_seconds, count = timed(baseline)
        rows.append(("geopandas.read_file + to_postgis (no validation)", f"{base_seconds:.2f}", str(count)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print_table(
        f"Import of {path.name} ({path.stat().st_size / 2**20:.1f} MB); target ≤ 10 s; peak RSS {peak_mb:.0f} MB",
        rows,
        ("what", "seconds", "features"),
    )
    print(f"ratio jingwang / baseline: {seconds / base_seconds:.2f}")


if __name__ == "__main__":
    main()
