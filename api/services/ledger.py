"""The hazard ledger (隐患台账) as an Excel workbook: 问题清单 (problems), 任务清单 (tasks), 效果清单 (effects).

Problems list every hazard; tasks the ones ever dispatched (who, since when, due, overdue, reworks); effects the
ones resolved or closed (when, how long, on time, verified by whom). Times are local (``timezone``), as Excel has
no zones.
"""

from __future__ import annotations

import io
from datetime import datetime, tzinfo
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.scope import read_precinct
from geo import lifecycle
from geo.times import get_zone

__all__ = ["SHEETS", "ledger_rows", "ledger_workbook"]

SHEETS = ("问题清单", "任务清单", "效果清单")

_SQL = """
    SELECT h.code, h.title, h.category, h.severity, h.description, h.reported_by, h.reported_at, h.due_at,
           h.state, h.precinct_code, h.district_code, h.grid_code, h.grid_worker, h.officer, h.assignee,
           ST_X(h.geom) AS lon, ST_Y(h.geom) AS lat,
           (h.state IN ('reported', 'assessed', 'dispatched') AND h.due_at < CAST(:now AS timestamptz)) AS overdue,
           d.at AS dispatched_at, d.reworks, r.at AS resolved_at, r.note AS resolved_note, r.actor AS resolved_by,
           c.at AS closed_at, c.actor AS closed_by
    FROM hazard h
    LEFT JOIN LATERAL (SELECT min(at) AS at, count(*) FILTER (WHERE from_state = 'resolved') AS reworks
                       FROM hazard_event WHERE hazard_id = h.id AND to_state = 'dispatched') d ON TRUE
    LEFT JOIN LATERAL (SELECT at, note, actor FROM hazard_event WHERE hazard_id = h.id AND to_state = 'resolved'
                       ORDER BY seq DESC LIMIT 1) r ON TRUE
    LEFT JOIN LATERAL (SELECT at, actor FROM hazard_event WHERE hazard_id = h.id AND to_state = 'closed'
                       ORDER BY seq DESC LIMIT 1) c ON TRUE
    WHERE CAST(:p AS text) IS NULL OR h.precinct_code = :p
    ORDER BY h.reported_at, h.code
"""

_PROBLEMS = ("编号", "标题", "类别", "等级", "描述", "上报人", "上报时间", "派出所", "警务区", "网格", "网格员",
             "社区民警", "状态", "经度", "纬度")  # fmt: skip
_TASKS = (
    "编号",
    "标题",
    "网格",
    "责任人",
    "社区民警",
    "网格员",
    "推送时间",
    "办结时限",
    "状态",
    "是否超期",
    "返工次数",
)
_EFFECTS = ("编号", "标题", "网格", "处置时间", "处置人", "处置说明", "用时(小时)", "是否按期", "销号时间", "核验人")


def _local(value: datetime | None, zone: tzinfo) -> datetime | None:
    return value.astimezone(zone).replace(tzinfo=None) if value else None


def _yes(flag: bool) -> str:
    return "是" if flag else "否"


def ledger_rows(session: Session, precinct: str | None = None, now: datetime | None = None,
                timezone: str | None = None) -> dict[str, list[list[Any]]]:  # fmt: skip
    """The three lists as rows (header first), keyed by sheet name."""
    zone = get_zone(timezone)
    precinct = read_precinct(precinct)
    rows = session.execute(text(_SQL), {"p": precinct, "now": now or session.scalar(text("SELECT now()"))}).all()
    problems: list[list[Any]] = [list(_PROBLEMS)]
    tasks: list[list[Any]] = [list(_TASKS)]
    effects: list[list[Any]] = [list(_EFFECTS)]
    for h in rows:
        state = f"{lifecycle.LABELS_ZH.get(h.state, h.state)} ({h.state})"
        problems.append([h.code, h.title, h.category, h.severity, h.description, h.reported_by,
                         _local(h.reported_at, zone), h.precinct_code, h.district_code, h.grid_code, h.grid_worker,
                         h.officer, state, round(h.lon, 6), round(h.lat, 6)])  # fmt: skip
        if h.dispatched_at:
            tasks.append([h.code, h.title, h.grid_code, h.assignee, h.officer, h.grid_worker,
                          _local(h.dispatched_at, zone), _local(h.due_at, zone), state, _yes(bool(h.overdue)),
                          int(h.reworks or 0)])  # fmt: skip
        if h.state in ("resolved", "closed") and h.resolved_at:
            hours = round((h.resolved_at - h.reported_at).total_seconds() / 3600, 1)
            on_time = h.due_at is None or h.resolved_at <= h.due_at
            effects.append([h.code, h.title, h.grid_code, _local(h.resolved_at, zone), h.resolved_by,
                            h.resolved_note, hours, _yes(on_time), _local(h.closed_at, zone), h.closed_by])  # fmt: skip
    return dict(zip(SHEETS, (problems, tasks, effects), strict=True))


def ledger_workbook(session: Session, precinct: str | None = None, now: datetime | None = None,
                    timezone: str | None = None) -> bytes:  # fmt: skip
    """The ledger as ``.xlsx`` bytes."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in ledger_rows(session, precinct, now, timezone).items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for i, header in enumerate(rows[0], start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(10, 2 * len(str(header)) + 4)
        for col in (i for i, h in enumerate(rows[0], start=1) if "时间" in h or "时限" in h):
            for cell in sheet[get_column_letter(col)][1:]:
                cell.number_format = "yyyy-mm-dd hh:mm"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
