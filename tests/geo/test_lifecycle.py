"""The hazard state machine: every allowed and every refused transition, states in Chinese, SLA, overdue."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from geo import lifecycle
from geo.lifecycle import STATES, TransitionError, allowed, check_transition, due_at, is_overdue, parse_state

EXPECTED = {
    ("reported", "assessed"),
    ("reported", "rejected"),
    ("assessed", "dispatched"),
    ("assessed", "rejected"),
    ("dispatched", "resolved"),
    ("resolved", "closed"),
    ("resolved", "dispatched"),
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("to", STATES)
def test_every_pair_of_states(state, to):
    if (state, to) in EXPECTED:
        check_transition(state, to)
        assert to in allowed(state)
    else:
        with pytest.raises(TransitionError) as info:
            check_transition(state, to)
        assert info.value.allowed == allowed(state)
        assert to not in info.value.allowed
        assert f"a {state} hazard cannot become {to}" in str(info.value)


def test_final_states_and_unknown_ones():
    assert allowed("closed") == () and allowed("rejected") == ()
    with pytest.raises(TransitionError, match="it can become nothing"):
        check_transition("closed", "dispatched")
    with pytest.raises(ValueError, match="unknown hazard state"):
        allowed("lost")


def test_states_read_from_chinese_labels():
    assert parse_state("已销号") == "closed"
    assert parse_state("Dispatched") == "dispatched"
    assert parse_state("处置中") == "dispatched"
    assert parse_state("驳回") == "rejected"
    assert parse_state("?") is None
    assert set(lifecycle.LABELS_ZH) == set(STATES)


def test_sla_and_overdue():
    t0 = datetime(2026, 11, 1, 8, tzinfo=timezone.utc)
    assert due_at(t0, 1) == t0 + timedelta(hours=168)
    assert due_at(t0, 3) == t0 + timedelta(hours=24)
    assert due_at(t0, None) == t0 + timedelta(hours=168)
    assert due_at(t0, 9) == t0 + timedelta(hours=12)  # above the table: the most severe level's
    assert due_at(t0, 2, {2: 5}) == t0 + timedelta(hours=5)  # a configured table
    due = t0 + timedelta(hours=24)
    late = due + timedelta(minutes=1)
    assert is_overdue("dispatched", due, late)
    assert not is_overdue("dispatched", due, due)
    assert not is_overdue("resolved", due, late) and not is_overdue("closed", due, late)
    assert not is_overdue("rejected", due, late)
    assert not is_overdue("reported", None, late)
