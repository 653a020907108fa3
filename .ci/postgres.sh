# A throwaway PostgreSQL cluster for the database sink tests.
# Source this file, then `start_postgres` (exports DATABASE_URL and
# PG_TLS_CA_FILE) and `stop_postgres` (stops the server and deletes its
# files):
#
#   source .ci/postgres.sh && start_postgres
#   cargo test -p jobharvest-sink-postgres
#   stop_postgres
#
# Installs Debian's postgresql package when no server binaries are found
# (and openssl when missing), runs the server as a non-root user (root
# cannot), on a free local port, listening on 127.0.0.1 only, with password
# authentication so the tests exercise credentials. The server accepts TLS
# (ssl = on) as well as plaintext: its certificate, for `localhost` and
# `127.0.0.1`, is signed by a CA made for this cluster, whose PEM file
# PG_TLS_CA_FILE names (no system trusts it: that is what `ca_file` is for).

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
  if ! command -v openssl >/dev/null; then
    echo "openssl not found: installing Debian's openssl package"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null
  fi
  PG_TMP="$(mktemp -d)"
  local run=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$PG_TMP"
    run=(runuser -u postgres --)
  fi
  pg_tls_files "$PG_TMP/tls" || return 1
  [ "${#run[@]}" -gt 0 ] && chown -R postgres "$PG_TMP/tls"
  local port password
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  password="ci-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$PG_TMP/pwfile"
  [ "${#run[@]}" -gt 0 ] && chown postgres "$PG_TMP/pwfile"
  "${run[@]}" "$bin/initdb" -D "$PG_TMP/data" -U jobharvest --pwfile="$PG_TMP/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$PG_TMP/initdb.log"
  rm -f "$PG_TMP/pwfile"
  "${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/server.log" -w -t 60 \
    -o "-p $port -k $PG_TMP -c listen_addresses=127.0.0.1 -c fsync=off -c ssl=on -c ssl_cert_file=$PG_TMP/tls/server.pem -c ssl_key_file=$PG_TMP/tls/server.key" \
    start >/dev/null
  PG_CTL=("${run[@]}" "$bin/pg_ctl" -D "$PG_TMP/data")
  "${run[@]}" "$bin/createdb" -h "$PG_TMP" -p "$port" -U jobharvest jobharvest
  export DATABASE_URL="postgresql://jobharvest:${password}@127.0.0.1:${port}/jobharvest"
  export PG_TLS_CA_FILE="$PG_TMP/tls/ca.pem"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, plaintext or TLS (DATABASE_URL and PG_TLS_CA_FILE exported)"
}

# A CA (ca.pem) and a server certificate it signed (server.pem, key
# server.key, mode 0600), valid for localhost and 127.0.0.1, in $1.
pg_tls_files() {
  local dir="$1"
  mkdir -p "$dir"
  (
    cd "$dir" || exit 1
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
      -keyout ca.key -out ca.pem -subj "/CN=jobharvest CI CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" &&
      openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout server.key -out server.csr -subj "/CN=localhost" &&
      printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
        "extendedKeyUsage=serverAuth" >server.ext &&
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
        -extfile server.ext -out server.pem &&
      chmod 600 server.key ca.key
  ) >"$dir/openssl.log" 2>&1 || {
    echo "could not make the TLS certificates:" >&2
    cat "$dir/openssl.log" >&2
    return 1
  }
}

stop_postgres() {
  if [ -n "${PG_TMP:-}" ] && [ -d "$PG_TMP" ]; then
    "${PG_CTL[@]}" stop -m fast >/dev/null 2>&1 || true
    rm -rf "$PG_TMP"
  fi
}
