"""The hazard closed loop (发现 → 研判 → 推送 → 处置 → 反馈/销号) as a state machine, and its deadlines.

``reported`` → ``assessed`` → ``dispatched`` → ``resolved`` → ``closed``; ``rejected`` from ``reported`` or
``assessed``; ``resolved`` → ``dispatched`` sends it back for rework. A hazard is *open* until closed or rejected
and *overdue* when it is not resolved or closed by its due time, which the SLA sets from its severity.

>>> allowed("resolved")
('closed', 'dispatched')
>>> check_transition("reported", "closed")
Traceback (most recent call last):
...
geo.lifecycle.TransitionError: a reported hazard cannot become closed: it can become assessed or rejected
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

__all__ = [
    "STATES",
    "TRANSITIONS",
    "LABELS_ZH",
    "OPEN_STATES",
    "PENDING_STATES",
    "DEFAULT_SLA_HOURS",
    "FALLBACK_SLA_HOURS",
    "TransitionError",
    "allowed",
    "check_transition",
    "parse_state",
    "sla_hours",
    "due_at",
    "is_overdue",
]

STATES = ("reported", "assessed", "dispatched", "resolved", "closed", "rejected")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "reported": ("assessed", "rejected"),
    "assessed": ("dispatched", "rejected"),
    "dispatched": ("resolved",),
    "resolved": ("closed", "dispatched"),
    "closed": (),
    "rejected": (),
}
LABELS_ZH = {
    "reported": "已上报",
    "assessed": "已研判",
    "dispatched": "已推送",
    "resolved": "已处置",
    "closed": "已销号",
    "rejected": "不予受理",
}
_ALIASES = {
    "发现": "reported",
    "上报": "reported",
    "待研判": "reported",
    "研判": "assessed",
    "推送": "dispatched",
    "派发": "dispatched",
    "处置中": "dispatched",
    "处置": "resolved",
    "已整改": "resolved",
    "销号": "closed",
    "已办结": "closed",
    "驳回": "rejected",
    "已驳回": "rejected",
}
OPEN_STATES = ("reported", "assessed", "dispatched", "resolved")
PENDING_STATES = ("reported", "assessed", "dispatched")  # these can be overdue

DEFAULT_SLA_HOURS: dict[int, float] = {1: 168.0, 2: 72.0, 3: 24.0, 4: 12.0}
FALLBACK_SLA_HOURS = 168.0  # for a hazard without a severity


class TransitionError(ValueError):
    """A change the lifecycle does not allow; ``allowed`` lists the states it can go to."""

    def __init__(self, state: str, to: str) -> None:
        self.state, self.to, self.allowed = state, to, allowed(state)
        options = " or ".join(self.allowed) if self.allowed else "nothing (it is final)"
        super().__init__(f"a {state} hazard cannot become {to}: it can become {options}")


def allowed(state: str) -> tuple[str, ...]:
    """The states a hazard in ``state`` may move to."""
    if state not in TRANSITIONS:
        raise ValueError(f"unknown hazard state {state!r}: one of {', '.join(STATES)}")
    return TRANSITIONS[state]


def check_transition(state: str, to: str) -> None:
    """Raise :class:`TransitionError` unless ``state`` → ``to`` is allowed."""
    if to not in allowed(state):
        raise TransitionError(state, to)


def parse_state(value: str | None) -> str | None:
    """A state code from its English code or a Chinese label (``已销号`` → ``closed``); None if unknown."""
    text = (value or "").strip()
    low = text.lower()
    if low in TRANSITIONS:
        return low
    for code, label in LABELS_ZH.items():
        if text == label:
            return code
    return _ALIASES.get(text)


def sla_hours(severity: int | None, sla: Mapping[int, float] | None = None) -> float:
    """Hours allowed to resolve a hazard of ``severity`` (the most severe level's when above the table)."""
    table = dict(sla or DEFAULT_SLA_HOURS)
    if severity is None or not table:
        return FALLBACK_SLA_HOURS
    if severity in table:
        return float(table[severity])
    nearest = max(table) if severity > max(table) else min(table)
    return float(table[nearest])


def due_at(reported_at: datetime, severity: int | None, sla: Mapping[int, float] | None = None) -> datetime:
    """When a hazard reported at ``reported_at`` must be resolved.

    >>> from datetime import timezone
    >>> due_at(datetime(2026, 11, 1, 8, tzinfo=timezone.utc), 3).isoformat()
    '2026-11-02T08:00:00+00:00'
    """
    return reported_at + timedelta(hours=sla_hours(severity, sla))


def is_overdue(state: str, due: datetime | None, now: datetime) -> bool:
    """Not resolved or closed (nor rejected) by ``due``."""
    return due is not None and state in PENDING_STATES and now > due
