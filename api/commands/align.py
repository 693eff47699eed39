"""``jingwang align``: the alignment of districts with grids, as a table or JSON; ``--propose [--apply]``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from api.db import get_session
from api.params import parse_time
from api.services import alignment as service

__all__ = ["register"]

LABELS = {
    "zh": {
        "summary": "对齐概况",
        "grids": "网格",
        "whole": "完整",
        "split": "被切分",
        "orphan": "未覆盖",
        "rate": "对齐率",
        "gap": "缝隙(m²)",
        "overlap": "重叠(m²)",
        "precinct": "派出所",
        "split_list": "被切分的网格",
        "shares": "占比",
        "proposal": "吸附方案",
        "district": "警务区",
        "gained": "并入",
        "lost": "划出",
        "moved": "调整面积(m²)",
        "written": "已写入方案",
    },
    "en": {
        "summary": "Alignment",
        "grids": "grids",
        "whole": "whole",
        "split": "split",
        "orphan": "orphan",
        "rate": "rate",
        "gap": "gap (m²)",
        "overlap": "overlap (m²)",
        "precinct": "precinct",
        "split_list": "Split grids",
        "shares": "shares",
        "proposal": "Snap proposal",
        "district": "district",
        "gained": "gained",
        "lost": "lost",
        "moved": "area moved (m²)",
        "written": "Proposal written",
    },
}


def _row(cells: list[Any], widths: list[int]) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True))


def _table(rows: list[list[Any]], header: list[str]) -> None:
    # Chinese characters take two columns in a terminal.
    def width(value: Any) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))

    widths = [max(width(r[i]) for r in [header, *rows]) for i in range(len(header))]
    pad = [w - width(h) + len(str(h)) for h, w in zip(header, widths, strict=True)]
    click.echo(_row(header, pad))
    for r in rows:
        click.echo(_row(r, [w - width(c) + len(str(c)) for c, w in zip(r, widths, strict=True)]))


def _print_document(doc: dict[str, Any], t: dict[str, str]) -> None:
    s = doc["summary"]
    click.echo(f"{t['summary']} (tolerance {doc['tolerance']})")
    header = [t["precinct"], t["grids"], t["whole"], t["split"], t["orphan"], t["rate"], t["gap"], t["overlap"]]
    rows = [
        [p["code"], p["grids"], p["whole"], p["split"], p["orphan"], f"{p['alignment_rate']:.1%}",
         f"{p.get('gap_area_m2', 0):.0f}", f"{p.get('overlap_area_m2', 0):.0f}"]
        for p in doc.get("precincts", [])
    ]  # fmt: skip
    rows.append(["Σ", s["grids"], s["whole"], s["split"], s["orphan"], f"{s['alignment_rate']:.1%}",
                 f"{s['gap_area_m2']:.0f}", f"{s['overlap_area_m2']:.0f}"])  # fmt: skip
    _table(rows, header)
    split = [g for g in doc["grids"] if g["status"] != "whole"]
    if split:
        click.echo(f"\n{t['split_list']}")
        shares = [
            [
                g["code"],
                g.get("name") or "",
                g["status"],
                ", ".join(f"{x['district']} {x['share']:.0%}" for x in g["shares"]),
            ]
            for g in split
        ]
        _table(shares, [t["grids"], "", "", t["shares"]])


def _print_proposal(result: dict[str, Any], t: dict[str, str]) -> None:
    click.echo(f"\n{t['proposal']}")
    rows = [
        [d["code"], " ".join(d["gained"]), " ".join(d["lost"]), f"{d['area_moved_m2']:.0f}"]
        for d in result["districts"]
        if d["gained"] or d["lost"]
    ]
    _table(rows, [t["district"], t["gained"], t["lost"], t["moved"]])


@click.command("align")
@click.option("--precinct", help="Only this precinct's districts and the grids that touch them.")
@click.option("--tolerance", default=0.01, show_default=True, type=click.FloatRange(0, 0.5, max_open=True))
@click.option("--as-of", "as_of", help="Analyse the layers as they stood then (ISO date or date-time).")
@click.option("--propose", is_flag=True, help="Also compute the snap proposal (every grid to its owner).")
@click.option("--apply", "apply_", is_flag=True, help="With --propose: write it as a new district version.")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
    help="With --propose: write the proposed districts as GeoJSON here.",
)  # fmt: skip
@click.option("--user", default="cli", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Write one JSON document to stdout.")
def align_command(
    precinct: str | None,
    tolerance: float,
    as_of: str | None,
    propose: bool,
    apply_: bool,
    output: Path | None,
    user: str,
    lang: str,
    as_json: bool,
) -> None:
    """Which grids each district cuts; gaps, overlaps and slivers; optionally the snap proposal."""
    if apply_ and not propose:
        raise click.UsageError("--apply needs --propose")
    if (propose or apply_) and as_of:
        raise click.UsageError("--propose works on the current layers: drop --as-of")
    session = get_session()
    moment: datetime | None = parse_time(as_of, "--as-of")
    doc = service.alignment(session, tolerance=tolerance, precinct=precinct, as_of=moment)
    t = LABELS[lang]
    if propose:
        result = service.proposal(session, tolerance=tolerance, precinct=precinct)
        frame = result.pop("geometries")
        doc["proposal"] = result
        if output:
            output.write_text(frame.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
            click.echo(f"proposed districts written to {output}", err=True)
        if apply_:
            doc["applied"] = service.apply_proposal(session, {**result, "geometries": frame}, user=user)
            click.echo(f"{t['written']}: import {doc['applied']['import_id']}", err=True)
    if as_json:
        click.echo(json.dumps(doc, ensure_ascii=False, default=str))
        return
    _print_document(doc, t)
    if propose:
        _print_proposal(doc["proposal"], t)


def register(cli: click.Group) -> None:
    cli.add_command(align_command)
