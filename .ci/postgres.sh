# A throwaway PostgreSQL cluster for the database sink tests.
# Source this file, then `start_postgres` (exports DATABASE_URL) and
# `stop_postgres` (stops the server and deletes its files):
#
#   source .ci/postgres.sh && start_postgres
#   cargo test -p jobharvest-sink-postgres
#   stop_postgres
#
# Installs Debian's postgresql package when no server binaries are found,
# runs the server as a non-root user (root cannot), on a free local port,
# listening on 127.0.0.1 only, with password authentication so the tests
# exercise credentials.

pg_bin_dir() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

start_postgres() {
  local bin
  bin="$(pg_bin_dir)"
  if [ -z "$bin" ]; then
    echo "PostgreSQL not found: installing Debian's postgresql package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    bin="$(pg_bin_dir)"
  fi
  PG_TMP="$(mktemp -d)"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_TMP"
    run=(runuser -u postgres --)
  fi
  local port password
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  password="ci-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$PG_TMP/pwfile"
  [ "${#run[@]}" -gt 0 ] && chown postgres "$PG_TMP/pwfile"
  "${run[@]}" "$bin/initdb" -D "$PG_TMP/data" -U jobharvest --pwfile="$PG_TMP/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_TMP/initdb.log"
  rm -f "$PG_TMP/pwfile"
  "${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  PG_CTL=("${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data")
  "${run[@]}" "$bin/createdb" -h "$PG_TMP" -p "$port" -U jobharvest jobharvest
  export DATABASE_URL="postgresql://jobharvest:${password}@127.0.0.1:${port}/jobharvest"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (DATABASE_URL exported)"
}

stop_postgres() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ]; then
    "${PG_CTL[@]}" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
