#!/usr/bin/env bash
# Finds or installs the Go toolchain that builds the OCI validation suite (tests/conformance/).
# Prints the path of the go binary. Order: $GO, /usr/local/go/bin/go, go on PATH, else Debian's
# golang-go (installed with apt-get when running as root). The suite's go.mod asks for Go >= 1.19.
set -euo pipefail

usable() {
  # Go 1.19 is the oldest release the pinned module graph builds with.
  local v
  v=$("$1" env GOVERSION 2>/dev/null) || return 1
  v=${v#go}
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%[!0-9]*}
  [ "$major" -gt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -ge 19 ]; }
}

for candidate in "${GO:-}" /usr/local/go/bin/go "$(command -v go || true)"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && usable "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

if [ "$(id -u)" != 0 ]; then
  echo "setup_go.sh: no Go >= 1.19 found; install golang-go or set GO=/path/to/go" >&2
  exit 1
fi
echo "installing Debian package: golang-go" >&2
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >&2
go=$(command -v go)
usable "$go" || {
  echo "setup_go.sh: $go is older than Go 1.19" >&2
  exit 1
}
echo "$go"
