#!/usr/bin/env bash
# `make demo`: provision, start this checkout's PostGIS cluster (unless GAZ_DATABASE_URL is set),
# migrate, load the Ordos dataset and serve the API. Idempotent: run again, nothing is duplicated.
set -euo pipefail
source "$(dirname "$0")/common.sh"
cd "$checkout"
port=${GAZ_PORT:-8000}
host=${GAZ_HOST:-127.0.0.1}
scripts/setup.sh

if ! .venv/bin/python -c "import socket,sys; s=socket.socket(); s.bind(('$host', $port))" 2>/dev/null; then
    echo "port $port on $host is taken; set GAZ_PORT to a free port, e.g. GAZ_PORT=8001 make demo" >&2
    exit 1
fi

if [ -z "${GAZ_DATABASE_URL:-}" ]; then
    cluster=$(demo_cluster_dir)
    server=$(scripts/pgcluster.sh start "$cluster")
    export GAZ_DATABASE_URL=${server%/postgres*}/gazetteer?host=$cluster
    echo "PostGIS cluster: $cluster (socket only; stop it with 'make stop')"
fi

.venv/bin/gaz db create
.venv/bin/gaz db upgrade
.venv/bin/gaz load data/ordos.toml
.venv/bin/gaz names replay-history "${GAZ_DATA_ROOT:-../shared/data}/ordos/codes/ordos_townships_history_nbs.csv"
.venv/bin/gaz lines derive --parent 150600 --level county  # the banners' shared lines: viewer layer, hazard screening
# No real facility list is public: the demo generates an ILLUSTRATIVE registry at the city's scale (seeded, around the
# real township and village points; facilities/illustrative.py says how), labelled on every map and report.
demo_data=.run/demo
.venv/bin/gaz facilities illustrative "$demo_data"
.venv/bin/gaz facilities import "$demo_data/illustrative_facilities.csv" --source demo-illustrative --crs EPSG:4490 --illustrative
.venv/bin/gaz facilities import "$demo_data/illustrative_changes.csv" --source demo-illustrative --crs EPSG:4490 --illustrative  # later bed changes, closings
.venv/bin/gaz facilities population "$demo_data/illustrative_population.csv" --source demo-illustrative
.venv/bin/gaz facilities layer "$demo_data/illustrative_railway.geojson" --layer "示意铁路(示意)" --kind railway --buffer-m 200 --crs EPSG:4490
echo
echo "API:        http://$host:$port/api/v1/units/150603"
echo "Search:     http://$host:$port/api/v1/places/search?q=kbs"
echo "Map viewer: http://$host:$port/maps/"
echo "OGC API:    http://$host:$port/ogc"
echo "Report:     http://$host:$port/api/v1/reports/facilities?as_of=2021-12-31&format=html"
echo "Docs:       http://$host:$port/docs"
echo "Health:     http://$host:$port/health"
exec .venv/bin/gaz serve --host "$host" --port "$port"
