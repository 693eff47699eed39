"""Settings read from the environment (see README "Configuration")."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SECRET = "jingwang-dev-secret-change-me"


@dataclass(frozen=True)
class Settings:
    """Where the data lives and how to reach it."""

    database_url: str | None
    home: Path
    secret_key: str
    tile_url: str
    max_upload_mb: int = 200
    basemap_coords: str = "wgs84"  # gcj02 when the basemap tiles are Amap-style: overlays are shifted to match
    tile_seed_zoom: int = 14  # a new layer version's tiles up to this zoom render in the background; -1: never

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            database_url=env.get("JINGWANG_DATABASE_URL") or None,
            home=Path(env.get("JINGWANG_HOME") or ".jingwang").resolve(),
            secret_key=env.get("JINGWANG_SECRET_KEY") or DEFAULT_SECRET,
            tile_url=env.get("JINGWANG_TILE_URL", ""),
            max_upload_mb=int(env.get("JINGWANG_MAX_UPLOAD_MB") or 200),
            basemap_coords=(env.get("JINGWANG_BASEMAP_COORDS") or "wgs84").lower(),
            tile_seed_zoom=int(env.get("JINGWANG_TILE_SEED_ZOOM") or 14),
        )

    @property
    def embedded(self) -> bool:
        """True when jingwang runs its own PostgreSQL cluster under ``home``."""
        return self.database_url is None


def tile_cache_dir(home: Path, database_url: str | None) -> Path:
    """Where rendered tiles are kept: shared by every worker, one folder per database (versions are per database)."""
    key = hashlib.sha1(str(database_url or "embedded").encode()).hexdigest()[:12]
    return home / "tiles" / key
