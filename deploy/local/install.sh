#!/usr/bin/env bash
# Installs everything the platform needs on a fresh machine; cached, so later runs take seconds.
#   - system tools (JDK, Maven, Go, curl) from Debian
#   - Python 3.11 (pyproject.toml: requires-python >=3.11,<3.12, the version the lock files are
#     resolved for); from Debian when `python3` is another version, else one clear error
#   - the Python virtualenv from requirements-dev.lock (runtime + test tools)
#   - the Apache Kafka broker jars from Maven Central (deploy/local/kafka/pom.xml)
#   - the store: SecantusDB from PyPI (default), or FerretDB built from the Go module proxy
#     (deploy/local/ferretdb) with MINYI_STORE_ENGINE=ferretdb (plus Debian's PostgreSQL) or
#     ferretdb-sqlite
# With --test (deploy/local/test.sh passes it) also what only the tests need: Debian's Chromium and
# a CJK font for the browser tests. `make up` runs without it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for_tests=false
case "${1:-}" in
  --test) for_tests=true ;;
  "") ;;
  *) die "usage: install.sh [--test]" ;;
esac
PYTHON_SERIES="3.11"

need=()
command -v java >/dev/null || need+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || need+=(maven)
[ "$STORE_ENGINE" = ferretdb ] && [ -z "$(pg_bindir)" ] && need+=(postgresql)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3 python3-venv)
if $for_tests; then
  # The browser tests drive Debian's Chromium (never a downloaded browser); the Chinese pages
  # need a CJK font or the screenshots show boxes.
  command -v chromium >/dev/null || need+=(chromium)
  fc-list :lang=zh 2>/dev/null | grep -q . || need+=(fonts-wqy-microhei)
fi
[ ${#need[@]} -eq 0 ] || apt_install "${need[@]}"

# python_311 -> the path of a Python 3.11 interpreter on PATH, if there is one.
python_311() {
  local candidate
  for candidate in "python$PYTHON_SERIES" python3; do
    if command -v "$candidate" >/dev/null &&
      "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null &&
      "$candidate" -c 'import venv, ensurepip' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}
if ! PYTHON="$(python_311)"; then
  found="$(python3 --version 2>/dev/null || echo 'no python3')"
  if [ "$(id -u)" = 0 ] && apt-cache show "python$PYTHON_SERIES-venv" >/dev/null 2>&1; then
    apt_install "python$PYTHON_SERIES" "python$PYTHON_SERIES-venv"
  fi
  PYTHON="$(python_311)" || die "Minyi needs Python $PYTHON_SERIES (with venv; found: $found): \
install python$PYTHON_SERIES and python$PYTHON_SERIES-venv (Debian 12's python3), then run this again"
fi

# Python: the lock file's hash is the stamp, so a changed lock reinstalls.
lock_hash="$(sha256sum "$ROOT/requirements-dev.lock" "$ROOT/pyproject.toml" | sha256sum | cut -c1-16)"
if [ -x "$PY" ] && ! "$PY" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  say "recreating .venv: it is not Python $PYTHON_SERIES"
  rm -rf "$VENV"
fi
if [ ! -x "$PY" ] || [ "$(cat "$VENV/.lock-hash" 2>/dev/null)" != "$lock_hash" ]; then
  say "creating the Python environment (.venv, Python $PYTHON_SERIES)"
  [ -x "$PY" ] || "$PYTHON" -m venv "$VENV"
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

# FerretDB 1.24 needs Go >= 1.24; Debian 12's `golang` is 1.19. The toolchain is itself a module
# on the Go module proxy (what `GOTOOLCHAIN` fetches), pinned here by its go.sum hash.
GO_TOOLCHAIN="go1.24.3"
GO_TOOLCHAIN_SUM_amd64="h1:Q/mjT/SnwTC6ul3pBoqVQHTfd50K5MlPITmS5PmsXxw="
go_for_ferretdb() {
  local v
  if command -v go >/dev/null; then
    v="$(GOTOOLCHAIN=local go env GOVERSION 2>/dev/null)" || v=""
    v="${v#go}"
    if [ -n "$v" ] && [ "$(printf '%s\n1.24\n' "${v%%[-+ ]*}" | sort -V | head -n1)" = 1.24 ]; then
      command -v go
      return 0
    fi
  fi
  local arch mod dir sum
  case "$(uname -m)" in x86_64) arch=amd64 ;; *) arch="$(uname -m)" ;; esac
  mod="golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-$arch"
  dir="$CACHE/$GO_TOOLCHAIN"
  if [ ! -x "$dir/$mod/bin/go" ]; then
    sum="GO_TOOLCHAIN_SUM_$arch"
    [ -n "${!sum:-}" ] || die "FerretDB needs Go >= 1.24 on PATH (no pinned toolchain for $arch)"
    say "fetching the Go $GO_TOOLCHAIN toolchain from the Go module proxy" >&2
    rm -rf "$dir" && mkdir -p "$dir"
    curl -fsSL --retry 3 -o "$dir/toolchain.zip" \
      "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-$arch.zip" \
      || die "could not fetch the Go toolchain"
    # The module's h1 hash (dirhash.Hash1), so the pinned go.sum line proves the download.
    python3 - "$dir/toolchain.zip" "${!sum}" "$dir" <<'PY' || die "the Go toolchain failed its checksum"
import base64, hashlib, sys, zipfile
path, want, dest = sys.argv[1:4]
with zipfile.ZipFile(path) as z:
    names = sorted(n for n in z.namelist() if not n.endswith("/"))
    lines = "".join(f"{hashlib.sha256(z.read(n)).hexdigest()}  {n}\n" for n in names)
    got = "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()
    if got != want:
        sys.exit(f"checksum {got} != {want}")
    z.extractall(dest)
PY
    rm -f "$dir/toolchain.zip"
    # Zip entries carry no modes; `go` itself marks these executable after a toolchain download.
    chmod -R a+x "$dir/$mod/bin" "$dir/$mod/pkg/tool"
  fi
  echo "$dir/$mod/bin/go"
}

if [ "$STORE_ENGINE" = ferretdb ] || [ "$STORE_ENGINE" = ferretdb-sqlite ]; then
  src_hash="$(cat "$ROOT"/deploy/local/ferretdb/{main.go,go.mod,go.sum} | sha256sum | cut -c1-16)"
  if [ ! -x "$FERRETDB_BIN" ] || [ "$(cat "$FERRETDB_BIN.src-hash" 2>/dev/null)" != "$src_hash" ]; then
    go_bin="$(go_for_ferretdb)"
    say "building FerretDB $FERRETDB_VERSION (PostgreSQL and SQLite backends, pure Go)"
    mkdir -p "$(dirname "$FERRETDB_BIN")"
    (cd "$ROOT/deploy/local/ferretdb" &&
      GOTOOLCHAIN=local CGO_ENABLED=0 "$go_bin" build -trimpath -o "$FERRETDB_BIN.tmp" .) \
      || die "could not build FerretDB"
    mv "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
    echo "$src_hash" >"$FERRETDB_BIN.src-hash"
  fi
fi
