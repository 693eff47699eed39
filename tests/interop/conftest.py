"""Interoperability with desktop GIS (QGIS). Heavy, so only ``make interop`` runs it (JINGWANG_INTEROP=1)."""

from __future__ import annotations

import os

collect_ignore_glob = [] if os.environ.get("JINGWANG_INTEROP") == "1" else ["test_*.py"]
