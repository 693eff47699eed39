#!/usr/bin/env bash
# QGIS for `make interop` (QGIS itself opening jingwang's OGC API and vector tiles): Debian's qgis and python3-qgis,
# about 180 packages, so not part of `make setup`. Installs them when missing and run as root; otherwise prints the
# exact command to run.
set -euo pipefail

if /usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1; then
  echo "QGIS: ok ($(dpkg-query -W -f='${Version}' python3-qgis 2>/dev/null || echo installed))"
  exit 0
fi
packages=(qgis python3-qgis)
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing: ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  echo "QGIS: installed"
else
  echo "missing: ${packages[*]}" >&2
  echo "run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages[*]}" >&2
  exit 1
fi
