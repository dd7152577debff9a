#!/usr/bin/env bash
# Installs everything the platform needs on a fresh machine; cached, so later runs take seconds.
#   - system tools (JDK, Maven, Go, curl, Chromium and a CJK font for the browser tests) from Debian
#   - the Python virtualenv from requirements-dev.lock (runtime + test tools)
#   - the Apache Kafka broker jars from Maven Central (deploy/local/kafka/pom.xml)
#   - the store: SecantusDB from PyPI (default), or FerretDB built from the Go module proxy
#     (deploy/local/ferretdb) with MINYI_STORE_ENGINE=ferretdb
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install() {
  [ "$(id -u)" = 0 ] || die "missing system packages ($*): install them or run as root"
  say "installing system packages: $*"
  if [ ! -f "$CACHE/.apt-updated" ]; then
    apt-get update -qq && mkdir -p "$CACHE" && touch "$CACHE/.apt-updated"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
[ "$STORE_ENGINE" = ferretdb ] && ! command -v go >/dev/null && need+=(golang)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3 python3-venv)
# The browser tests drive Debian's Chromium (never a downloaded browser); the Chinese pages need
# a CJK font or the screenshots show boxes.
command -v chromium >/dev/null || need+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# Python: the lock file's hash is the stamp, so a changed lock reinstalls.
lock_hash="$(sha256sum "$ROOT/requirements-dev.lock" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
if [ ! -x "$PY" ] || [ "$(cat "$VENV/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  say "creating the Python environment (.venv)"
  [ -x "$PY" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check uv==0.13.8
  "$VENV/bin/uv" pip sync -q --python "$PY" "$ROOT/requirements-dev.lock"
  "$VENV/bin/uv" pip install -q --python "$PY" --no-deps -e "$ROOT"
  echo "$lock_hash" >"$VENV/.lock-hash"
fi

if [ ! -f "$KAFKA_HOME/.complete" ]; then
  say "fetching Apache Kafka $KAFKA_VERSION from Maven Central"
  rm -rf "$KAFKA_HOME/libs"
  mvn -q -B -f "$ROOT/deploy/local/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DincludeScope=runtime -DoutputDirectory="$KAFKA_HOME/libs" \
    || die "could not fetch Kafka from Maven Central"
  touch "$KAFKA_HOME/.complete"
fi

if [ "$STORE_ENGINE" = secantusdb ] && [ ! -f "$SECANTUS_HOME/.complete" ]; then
  # A server, not a library of ours: its own environment, so its pins never meet ours.
  say "installing SecantusDB $SECANTUS_VERSION (MongoDB-wire server on WiredTiger)"
  rm -rf "$SECANTUS_HOME"
  python3 -m venv "$SECANTUS_HOME"
  "$SECANTUS_HOME/bin/pip" install -q --disable-pip-version-check "secantusdb==$SECANTUS_VERSION" \
    || die "could not install SecantusDB from PyPI"
  touch "$SECANTUS_HOME/.complete"
fi

if [ "$STORE_ENGINE" = ferretdb ] && [ ! -x "$FERRETDB_BIN" ]; then
  say "building FerretDB $FERRETDB_VERSION (SQLite backend, pure Go)"
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  (cd "$ROOT/deploy/local/ferretdb" && CGO_ENABLED=0 go build -trimpath -o "$FERRETDB_BIN.tmp" .) \
    || die "could not build FerretDB"
  mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
fi
