#!/usr/bin/env bash
# Project-local PostgreSQL cluster, reachable on a Unix socket only.
#   pgcluster.sh start DIR [--throwaway]   init (once) and start; prints the database URL
#   pgcluster.sh stop DIR                   stop it (no error when it is not running)
# Run as root, the server runs as the `postgres` user; the data directory is DIR/data,
# the socket DIR/.s.PGSQL.5432 and the log DIR/data/server.log.
set -euo pipefail
action=${1:?start|stop}
dir=${2:?cluster directory}
throwaway=${3:-}
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/pg_ctl" ] || { echo "PostgreSQL server binaries not found under /usr/lib/postgresql (run scripts/setup.sh)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
start)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$pgbin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
        {
            echo "listen_addresses = ''"
            echo "unix_socket_directories = '$dir'"
            echo "port = 5432"
            echo "max_connections = 200"
            echo "shared_buffers = 512MB"
            echo "work_mem = 32MB"
            echo "maintenance_work_mem = 512MB"
            if [ "$throwaway" = "--throwaway" ]; then
                echo "fsync = off"
                echo "synchronous_commit = off"
                echo "full_page_writes = off"
            fi
        } | as_owner tee -a "$dir/data/postgresql.conf" >/dev/null
    fi
    if ! as_owner "$pgbin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_owner "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -t 60 start >/dev/null \
            || { tail -20 "$dir/data/server.log" >&2; exit 1; }
    fi
    echo "postgresql+psycopg://postgres@/postgres?host=$dir"
    ;;
stop)
    if [ -f "$dir/data/PG_VERSION" ]; then
        as_owner "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "unknown action: $action" >&2; exit 2 ;;
esac
