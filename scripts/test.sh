#!/usr/bin/env bash
# `make test`: provision, start a throwaway PostGIS cluster (unless GAZ_DATABASE_URL is set),
# lint, type-check and run the whole suite. The cluster is stopped on exit, also on failure.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$checkout"
scripts/setup.sh

if [ -z "${GAZ_DATABASE_URL:-}" ]; then
    cluster=$(mktemp -d /tmp/gaztest.XXXXXX)
    trap 'scripts/pgcluster.sh stop "$cluster"; rm -rf "$cluster"' EXIT
    GAZ_DATABASE_URL=$(scripts/pgcluster.sh start "$cluster" --throwaway)
    export GAZ_DATABASE_URL
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy .
.venv/bin/python -m pytest "$@"
