"""Python's cyclic garbage collector paused around the heavy computations (alignment, reports).

They allocate a great many objects (rows, document entries, geometries); the collector's full passes over them
cost 0.4–0.7 s of a whole-city request and hold the GIL that the computing threads need. Nothing built there
forms cycles that must go sooner: it is freed by reference counts, or at the next pass after the pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

_lock = threading.Lock()
_state = [0, False]  # computations running with the collector paused; whether it was on before the first


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off while the block runs, then back as it was. The pause is process-wide: computations in
    other threads share it, and the last one to end restores the collector."""
    with _lock:
        if _state[0] == 0:
            _state[1] = gc.isenabled()
            gc.disable()
        _state[0] += 1
    try:
        yield
    finally:
        with _lock:
            _state[0] -= 1
            if _state[0] == 0 and _state[1]:
                gc.enable()
