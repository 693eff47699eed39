"""Every string the page scripts show, found in the scripts themselves: ``JW.t("…")`` / ``t("…")`` look-ups and
``N_("…")`` marks (ids looked up later through a variable). The translations live in the catalogue; a test checks
that each id has its Chinese.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["JS_MESSAGES", "extract_js_messages"]

SCRIPTS = Path(__file__).parent / "static" / "jw"
_CALL = re.compile(r"""\b(?:t|N_)\(\s*("(?:[^"\\]|\\.)*")""")


def extract_js_messages(folder: Path = SCRIPTS) -> tuple[str, ...]:
    """The message ids used by the scripts in ``folder``, sorted, each once."""
    found: set[str] = set()
    for script in sorted(folder.glob("*.js")):
        found.update(json.loads(literal) for literal in _CALL.findall(script.read_text(encoding="utf-8")))
    return tuple(sorted(found))


JS_MESSAGES = extract_js_messages()
