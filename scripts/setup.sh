#!/usr/bin/env bash
# Install what is missing: PostgreSQL with PostGIS 3 and pgRouting for the installed major
# version, Chromium with a CJK font (map browser tests), then the project's virtual environment.
# Quick and silent when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_if_needed() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=""
apt_install() {
    [ -n "$apt_updated" ] || { sudo_if_needed apt-get update -qq; apt_updated=1; }
    echo "installing system packages: $*"
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

if ! ls -d /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    apt_install postgresql
fi
pg_major=$(ls -d /usr/lib/postgresql/*/bin/postgres | sed -E 's#/usr/lib/postgresql/([0-9]+)/.*#\1#' | sort -n | tail -1)
missing=()
for pkg in "postgresql-$pg_major-postgis-3" "postgresql-$pg_major-pgrouting" chromium fonts-wqy-microhei fonts-dejavu-core poppler-utils; do
    installed "$pkg" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo "installing the Python environment into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[dev]"
    touch "$stamp"
fi
