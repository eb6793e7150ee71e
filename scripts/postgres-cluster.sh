# Sourced by scripts that need a throwaway PostgreSQL cluster:
#   start_postgres_cluster [extra server options]   sets $pg (postgres://postgres@127.0.0.1:PORT),
#                                                  $pg_port, $pg_bin; stopped by stop_postgres_cluster
# The server refuses to run as root, so as root the cluster belongs to the postgres user.
start_postgres_cluster() {
    pg_bin=$(dirname "$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
    pg_cluster=$(mktemp -d /tmp/banyan-pg-XXXXXX)
    pg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$pg_cluster"
    _as_pg "$pg_bin/initdb" -D "$pg_cluster/data" -U postgres --auth=trust --no-locale -E UTF8 >/dev/null
    _as_pg "$pg_bin/pg_ctl" -D "$pg_cluster/data" -w -l "$pg_cluster/server.log" \
        -o "-p $pg_port -k $pg_cluster -c listen_addresses=127.0.0.1 $*" start >/dev/null
    pg="postgres://postgres@127.0.0.1:$pg_port"
}

stop_postgres_cluster() {
    [ -n "${pg_cluster:-}" ] || return 0
    _as_pg "$pg_bin/pg_ctl" -D "$pg_cluster/data" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$pg_cluster"
    pg_cluster=
}

_as_pg() { if [ "$(id -u)" = 0 ]; then (cd /tmp && runuser -u postgres -- "$@"); else "$@"; fi; }
