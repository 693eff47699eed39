"""Coverage reports on the synthetic city: XLSX of the whole city and PDF of one precinct, next to a baseline.

    python -m bench.bench_report [--fixes 200000] [--repeat 3]

The synthetic city (:func:`bench.city.make_city`: 50 precincts, 1,000 districts, 20,000 grids) and a day of
synthetic patrols (:func:`bench.bench_coverage.synthetic_fixes`) are loaded into a fresh database. Then, in one
process: the report model of the whole city (alignment, coverage, hazards, staffing), the workbook
(:mod:`api.services.reports.xlsx`: XlsxWriter and the tables' rows as XML), and the baseline —
``pandas.DataFrame.to_excel`` (openpyxl) of the same five tables; then the report of one precinct as a PDF
(model, font, maps and tables). Targets: XLSX of the city ≤ 5 s; PDF of a precinct
≤ 10 s. Not a test: it prints a table.

The city's XLSX is made ``--repeat`` times (3), each cold (a new alignment state cache) and then cached; the table
gives the first run (the first in the process: a new ``jingwang report`` process is like it), the best run and its
CPU seconds (every thread of the process: on two cores, CPU near the wall time means the other core was busy).
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

from api.services.alignment import StateCache
from bench.bench_coverage import DAY, synthetic_fixes
from bench.city import make_city
from bench.common import fresh_database, print_table, store_city
from geo.times import parse_instant

__all__ = ["main"]


def _load(session: Session, fixes: int) -> None:
    from api.services.options import ImportOptions
    from api.services.points import import_points

    store_city(session, make_city())
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


def _cpu_timed(func: Any) -> tuple[float, float, Any]:
    """Wall and CPU seconds (all threads of the process): CPU near wall on two cores means the other core was
    taken (by another process or by the GIL)."""
    cpu = time.process_time()
    wall, result = _timed(func)
    return wall, time.process_time() - cpu, result


def main(argv: list[str] | None = None) -> None:
    from api.services.reports import build_report, render

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixes", type=int, default=200_000, help="Synthetic patrol fixes in the window.")
    parser.add_argument("--repeat", type=int, default=3, help="Runs of the city's XLSX, each cold then cached.")
    args = parser.parse_args(argv)
    start, end = parse_instant(DAY[0]), parse_instant(DAY[1])
    assert start is not None and end is not None
    cold: list[tuple[float, float, float, float]] = []  # model, workbook, model CPU, workbook CPU
    warm: list[tuple[float, float]] = []  # total, CPU
    with fresh_database("report") as engine, Session(engine) as session:
        _load(session, args.fixes)
        for _ in range(max(1, args.repeat)):
            cache = StateCache()  # cold: the alignment state is computed
            t_model, c_model, report = _cpu_timed(lambda: build_report(session, start, end, cache=cache))  # noqa: B023
            t_xlsx, c_xlsx, data = _cpu_timed(lambda: render(report, "xlsx"))  # noqa: B023
            cold.append((t_model, t_xlsx, c_model, c_xlsx))
            t_warm, c_warm, _ = _cpu_timed(lambda: render(build_report(session, start, end, cache=cache), "xlsx"))  # noqa: B023
            warm.append((t_warm, c_warm))
        t_base, base = _timed(lambda: _baseline(report))
        precinct = report.precincts[0]["code"]
        t_pmodel, one = _timed(lambda: build_report(session, start, end, precinct=precinct))
        t_pdf, pdf = _timed(lambda: render(one, "pdf"))
        t_pdf2, _ = _timed(lambda: render(one, "pdf"))
    n = len(report.grids)
    best = min(cold, key=lambda r: r[0] + r[1])
    hot = min(warm)

    def both(first: float, low: float, cpu: float) -> tuple[str, str, str]:
        return f"{first:.2f}", f"{low:.2f}", f"{cpu:.2f}"

    rows = [
        ("XLSX city: model (alignment, coverage, hazards)", *both(cold[0][0], best[0], best[2]), "", ""),
        ("XLSX city: workbook", *both(cold[0][1], best[1], best[3]), f"{len(data) / 1e6:.1f}", ""),
        ("XLSX city: total, cold", *both(sum(cold[0][:2]), sum(best[:2]), sum(best[2:])), "", "≤ 5 s"),
        ("XLSX city: total, alignment cached (server)", *both(warm[0][0], hot[0], hot[1]), "", "≤ 5 s"),
        ("baseline: DataFrame.to_excel (openpyxl), same rows", f"{t_base:.2f}", "", "", f"{len(base) / 1e6:.1f}", ""),
        (f"PDF precinct {precinct} ({len(one.grids)} grids): model", f"{t_pmodel:.2f}", "", "", "", ""),
        ("PDF precinct: document, first in process (font)", f"{t_pdf:.2f}", "", "", f"{len(pdf) / 1e6:.2f}", ""),
        ("PDF precinct: total, cold", f"{t_pmodel + t_pdf:.2f}", "", "", "", "≤ 10 s"),
        ("PDF precinct: document, font loaded", f"{t_pdf2:.2f}", "", "", "", ""),
    ]
    totals = ", ".join(f"{sum(r[:2]):.2f}" for r in cold), ", ".join(f"{r[0]:.2f}" for r in warm)
    print(f"\n{n:,} grids, {report.meta['fixes']:,} fixes in the window; workbook vs baseline "
          f"{t_base / best[1]:.1f}× faster; XLSX totals: cold {totals[0]} s, cached {totals[1]} s")  # fmt: skip
    print_table("Coverage reports", rows, ("step", "seconds", f"best of {len(cold)}", "CPU s (best)", "MB", "target"))


if __name__ == "__main__":
    main()
