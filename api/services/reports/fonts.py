"""The CJK font the PDF embeds. reportlab embeds TrueType outlines only (Noto CJK is CFF), so WenQuanYi Zen Hei
(Debian ``fonts-wqy-zenhei``) is looked for first by path, then any TrueType Chinese font fontconfig lists."""

from __future__ import annotations

import shutil
import subprocess
import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from api.errors import JingwangError

__all__ = ["FONT", "FontMissing", "cjk_font", "find_font"]

FONT = "JingwangCJK"
_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_LOCK = threading.Lock()


class FontMissing(JingwangError):
    status = 500
    code = "font_missing"


def _fontconfig() -> list[Path]:
    """The TrueType-looking files fontconfig lists for Chinese (a .ttc may still hold CFF outlines)."""
    if not shutil.which("fc-list"):
        return []
    try:
        found = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    files = sorted({Path(line.split(":")[0].strip()) for line in found.stdout.splitlines() if line.strip()})
    return [f for f in files if f.suffix.lower() in (".ttf", ".ttc") and f.is_file()]


def find_font() -> TTFont:
    """The first CJK font reportlab can embed, or :class:`FontMissing` naming the package to install."""
    candidates = [Path(c) for c in _CANDIDATES if Path(c).is_file()]
    for path in candidates + [f for f in _fontconfig() if f not in candidates]:
        try:
            return TTFont(FONT, str(path), subfontIndex=0)
        except (TTFError, OSError):  # CFF outlines (Noto CJK), a broken file
            continue
    raise FontMissing(
        "no Chinese TrueType font for PDF reports: install fonts-wqy-zenhei"
        " (sudo apt-get install fonts-wqy-zenhei, or make setup)"
    )


def cjk_font() -> str:
    """Register the font with reportlab once per process; return its name."""
    with _LOCK:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(find_font())
    return FONT
