"""Coverage reports on the synthetic city: XLSX of the whole city and PDF of one precinct, next to a baseline.

    python -m bench.bench_report [--fixes 200000]

The synthetic city (:func:`bench.city.make_city`: 50 precincts, 1,000 districts, 20,000 grids) and a day of
synthetic patrols (:func:`bench.bench_coverage.synthetic_fixes`) are loaded into a fresh database. Then, in one
process: the report model of the whole city (alignment, coverage, hazards, staffing), the workbook written by
XlsxWriter, and the baseline — ``pandas.DataFrame.to_excel`` (openpyxl) of the same five tables; then the report
of one precinct as a PDF (model, font, maps and tables). Targets: XLSX of the city ≤ 5 s; PDF of a precinct
≤ 10 s. Not a test: it prints a table.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from api.layers import LAYERS
from api.services.alignment import StateCache
from api.services.boundaries import ImportMeta, write_version
from bench.bench_coverage import DAY, synthetic_fixes
from bench.city import make_city
from bench.common import fresh_database, print_table
from geo.align import compute
from geo.times import parse_instant

__all__ = ["main"]


def _load(session: Session, fixes: int) -> None:
    from api.services.options import ImportOptions
    from api.services.points import import_points

    precincts, districts, grids = make_city()
    # The synthetic grids carry no parents: file each under its owner district, as an import would.
    state = compute(grids, districts, precincts, findings=False)
    owner = {str(c): int(o) for c, o in zip(state.grids.codes, state.owner, strict=True)}
    index = [owner.get(str(c), -1) for c in grids["code"]]
    grids = grids.assign(
        district_code=[str(state.districts.codes[i]) if i >= 0 else None for i in index],
        precinct_code=[state.districts.parents[i] if i >= 0 else None for i in index],
    )
    for name, frame in (("precincts", precincts), ("districts", districts), ("grids", grids)):
        write_version(session, LAYERS[name], frame, ImportMeta(file_name=f"city-{name}", created_by="bench"))
    session.commit()
    if fixes:
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "patrols.csv"
            synthetic_fixes(fixes).to_csv(csv, index=False)
            import_points(session, "patrols", csv, ImportOptions(user="bench"))


def _baseline(report: Any) -> bytes:
    out = io.BytesIO()
    with pd.ExcelWriter(out, engine="openpyxl") as writer:
        pd.DataFrame([report.summary]).to_excel(writer, sheet_name="概况", index=False)
        for name, rows in (("派出所", report.precincts), ("警务区", report.districts), ("网格", report.grids),
                           ("隐患台账", report.hazards)):  # fmt: skip
            pd.DataFrame(rows).to_excel(writer, sheet_name=name, index=False)
    return out.getvalue()


def _timed(func: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    from api.services.reports import build_report, render

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=200_000, help="Synthetic patrol fixes in the window.")
    args = parser.parse_args(argv)
    start, end = parse_instant(DAY[0]), parse_instant(DAY[1])
    assert start is not None and end is not None
    with fresh_database("report") as engine, Session(engine) as session:
        _load(session, args.fixes)
        cache = StateCache()
        t_model, report = _timed(lambda: build_report(session, start, end, cache=cache))
        t_xlsx, data = _timed(lambda: render(report, "xlsx"))
        t_warm, _ = _timed(lambda: render(build_report(session, start, end, cache=cache), "xlsx"))
        t_base, base = _timed(lambda: _baseline(report))
        precinct = report.precincts[0]["code"]
        t_pmodel, one = _timed(lambda: build_report(session, start, end, precinct=precinct))
        t_pdf, pdf = _timed(lambda: render(one, "pdf"))
        t_pdf2, _ = _timed(lambda: render(one, "pdf"))
    n = len(report.grids)
    rows = [
        ("XLSX city: model (alignment, coverage, hazards)", f"{t_model:.2f}", "", ""),
        ("XLSX city: workbook (XlsxWriter)", f"{t_xlsx:.2f}", f"{len(data) / 1e6:.1f}", ""),
        ("XLSX city: total, cold", f"{t_model + t_xlsx:.2f}", "", "≤ 5 s"),
        ("XLSX city: total, alignment cached (server)", f"{t_warm:.2f}", "", "≤ 5 s"),
        ("baseline: DataFrame.to_excel (openpyxl), same rows", f"{t_base:.2f}", f"{len(base) / 1e6:.1f}", ""),
        (f"PDF precinct {precinct} ({len(one.grids)} grids): model", f"{t_pmodel:.2f}", "", ""),
        ("PDF precinct: document, first in process (font)", f"{t_pdf:.2f}", f"{len(pdf) / 1e6:.2f}", ""),
        ("PDF precinct: total, cold", f"{t_pmodel + t_pdf:.2f}", "", "≤ 10 s"),
        ("PDF precinct: document, font loaded", f"{t_pdf2:.2f}", "", ""),
    ]
    print(f"\n{n:,} grids, {report.meta['fixes']:,} fixes in the window; workbook vs baseline "
          f"{t_base / t_xlsx:.1f}× faster")  # fmt: skip
    print_table("Coverage reports", rows, ("step", "seconds", "MB", "target"))


if __name__ == "__main__":
    main()
