#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 server for the test suite and print its URL.
#   eval "$(scripts/postgres.sh start)"   -> exports DBSKIT_TEST_POSTGRES_URL and DBSKIT_PG_DIR
#   scripts/postgres.sh stop "$DBSKIT_PG_DIR"
# Uses the machine's binaries under /usr/lib/postgresql/15/bin; as root it runs them as postgres.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${PGPORT:-55432}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/dbskit-pg.XXXXXX)
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_postgres "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >/dev/null
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
      -o "-p $PGPORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
      start >/dev/null
    echo "export DBSKIT_PG_DIR=$dir"
    echo "export DBSKIT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PGPORT/postgres"
    ;;
  stop)
    dir=${2:?usage: postgres.sh stop DIR}
    as_postgres "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
