#!/usr/bin/env bash
# System packages jingwang needs on Debian/Ubuntu: PostgreSQL with PostGIS (the embedded cluster), Chromium (the
# web map tests), CJK fonts (Chinese in the pages and PDF reports), poppler-utils (to look at PDF pages).
# Installs them when missing and run as root; otherwise prints the exact command to run.
set -euo pipefail

missing=()
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
pg_major=""
if [ -n "$pg_bin" ] && [ -x "$pg_bin/initdb" ]; then
  pg_major=$(basename "$(dirname "$pg_bin")")
fi
if [ -z "$pg_major" ] || ! ls /usr/share/postgresql/"$pg_major"/extension/postgis.control >/dev/null 2>&1; then
  if [ -z "$pg_major" ]; then
    # The distribution's own major version: the one with a PostGIS 3 package.
    pg_major=$(apt-cache search --names-only '^postgresql-[0-9]+-postgis-3$' 2>/dev/null \
      | sed -E 's/^postgresql-([0-9]+)-postgis-3.*/\1/' | sort -n | tail -n 1)
    pg_major=${pg_major:-15}
    missing+=("postgresql-$pg_major")
  fi
  missing+=("postgresql-$pg_major-postgis-3")
fi
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
# (grep reads all of fc-list: with -q it would stop early, and pipefail would count the broken pipe as a miss)
fc-list 2>/dev/null | grep -iE "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
# PDF reports embed TrueType only (Noto CJK is CFF): WenQuanYi Zen Hei; pdftoppm checks their pages.
[ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || missing+=(fonts-wqy-zenhei)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)

if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: ok (PostgreSQL $pg_major with PostGIS, chromium, CJK fonts, poppler-utils)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system-wide cluster on install; jingwang runs its own and needs none.
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | awk '$4 == "online" {print $1, $2}' | while read -r v c; do
      pg_ctlcluster "$v" "$c" stop || true
    done
  fi
  echo "system packages: installed ${missing[*]}"
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
