#!/usr/bin/env bash
# Finds or builds crictl, the CRI client the shim's Kubernetes test drives containerd with,
# and prints its path. Order: $CRICTL, crictl on PATH, the cached build, else a build from
# the Go module proxy (sigs.k8s.io/cri-tools, pinned below) cached under ~/.cache/drun.
# cri-tools' go.mod has replace directives, so `go install pkg@version` refuses it: the
# module is downloaded, copied and built as the main module.
set -euo pipefail
VERSION=v1.30.0
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/drun/crictl-$VERSION

for c in "${CRICTL:-}" "$(command -v crictl || true)" "$cache/crictl"; do
  if [ -n "$c" ] && [ -x "$c" ]; then
    echo "$c"
    exit 0
  fi
done

go=$(bash "$here/scripts/setup_go.sh")
echo "building crictl $VERSION (a few minutes, once)" >&2
src=$("$go" mod download -json "sigs.k8s.io/cri-tools@$VERSION" |
  sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
if [ -z "$src" ]; then
  echo "setup_crictl.sh: could not download sigs.k8s.io/cri-tools@$VERSION" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"
# The module zip keeps only vendor/modules.txt: build against the module cache instead.
rm -rf "$work/vendor"
mkdir -p "$cache"
(cd "$work" && "$go" build -mod=mod -o "$cache/crictl.tmp" ./cmd/crictl) >&2
mv "$cache/crictl.tmp" "$cache/crictl"
echo "$cache/crictl"
