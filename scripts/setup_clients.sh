#!/usr/bin/env bash
# Real engines in front of drun: podman (with conmon) and containerd (with ctr), each in a
# private directory so nothing global is touched: no /var/lib/containers, no /run/containerd,
# no shared lock memory, and every mount they make lives in a private mount namespace.
#
#   setup_clients.sh [install]              install podman, conmon, containerd, runc, crun
#                                           from Debian if missing (idempotent)
#   setup_clients.sh podman-start DIR       DIR/podman: podman with storage, state, locks,
#                                           events and network config under DIR, runtimes
#                                           "drun" and "runc" (state roots under DIR/state);
#                                           drun is $DRUN_LAUNCHER (an installed launcher,
#                                           `deno task install`), else bin/drun
#   setup_clients.sh podman-stop DIR        removes every container and image, ends DIR's
#                                           mount namespace
#   setup_clients.sh containerd-start DIR   containerd on DIR/containerd.sock (root, state
#                                           under DIR) and DIR/ctr, a ctr bound to it
#                                           (with $CONTAINERD_CRI_CONFIG, a TOML file: the
#                                           CRI plugin on, that file appended to the config)
#   setup_clients.sh containerd-stop DIR    stops that containerd and its namespace
#
# The private mount namespace: a `sleep` started by `unshare --mount --propagation private`
# (pid in DIR/holder.pid). The engines run inside it (nsenter), so podman's shm mounts and
# containerd's snapshot mounts never reach the host.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PACKAGES="podman conmon containerd runc crun catatonit"

install() {
  local need=""
  for p in $PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || need+=" $p"; done
  [ -z "$need" ] && return 0
  [ "$(id -u)" = 0 ] || { echo "setup_clients.sh: need root to install:$need" >&2; exit 1; }
  echo "installing Debian packages:$need" >&2
  apt-get update -qq >&2
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >&2
}

# holder DIR: a process whose private mount namespace the engines share, with tmpfs on /run
# and /var/lib there (containerd's shims and ctr's FIFOs use the fixed /run/containerd, and
# podman's image code writes /var/lib/containers/cache whatever its storage root is).
holder() {
  local dir=$1
  if [ -f "$dir/holder.pid" ] && kill -0 "$(cat "$dir/holder.pid")" 2>/dev/null; then return; fi
  setsid unshare --mount --propagation private -- sh -c \
    'mount -t tmpfs -o mode=0755 drun-clients /run &&
     mount -t tmpfs -o mode=0755 drun-clients /var/lib && exec sleep 1000000000' \
    </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/holder.pid"
  for _ in $(seq 100); do
    [ "$(grep -c '^drun-clients ' "/proc/$!/mounts" 2>/dev/null)" = 2 ] && return
    sleep 0.05
  done
  echo "setup_clients.sh: private mount namespace did not come up" >&2
  exit 1
}

stop_pid() { # stop_pid FILE: SIGTERM, then SIGKILL after 10 s, for a pid we started
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# The runtimes podman sees: drun and runc with their state under DIR (podman passes no
# --root to a runtime when it runs as root, and its cleanup process drops --runtime-flag).
runtime_wrappers() {
  local dir=$1
  mkdir -p "$dir/bin" "$dir/state"
  printf '#!/bin/sh\nexec %s --root %s "$@"\n' "${DRUN_LAUNCHER:-$here/bin/drun}" "$dir/state/drun" \
    >"$dir/bin/drun"
  printf '#!/bin/sh\nexec %s --root %s "$@"\n' "$(command -v runc)" "$dir/state/runc" \
    >"$dir/bin/runc"
  chmod +x "$dir/bin/drun" "$dir/bin/runc"
}

podman_start() {
  local dir
  dir=$(mkdir -p "$1" && cd "$1" && pwd)
  runtime_wrappers "$dir"
  # Podman's defaults raise RLIMIT_NOFILE/NPROC to 1048576, which fails without
  # CAP_SYS_RESOURCE; ask for what this process may have instead.
  local nofile
  nofile=$(awk '/^Max open files/ {print $5}' /proc/self/limits)
  [ "$nofile" = unlimited ] && nofile=1048576
  cat >"$dir/containers.conf" <<EOF
[containers]
netns = "none"
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]

[network]
network_config_dir = "$dir/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$dir/events.log"
tmp_dir = "$dir/tmp"
lock_type = "file"
runtime = "drun"
runtime_supports_json = ["crun", "runc", "drun"]

[engine.runtimes]
drun = ["$dir/bin/drun"]
runc = ["$dir/bin/runc"]
EOF
  cat >"$dir/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$dir/storage"
runroot = "$dir/runroot"
EOF
  holder "$dir"
  cat >"$dir/podman" <<EOF
#!/bin/sh
export CONTAINERS_CONF=$dir/containers.conf CONTAINERS_STORAGE_CONF=$dir/storage.conf
exec nsenter -t \$(cat $dir/holder.pid) -m -- podman "\$@"
EOF
  chmod +x "$dir/podman"
  echo "$dir/podman"
}

podman_stop() {
  local dir=$1
  if [ -x "$dir/podman" ] && [ -f "$dir/holder.pid" ]; then
    "$dir/podman" rm --all --force --time 0 >/dev/null 2>&1 || true
    "$dir/podman" rmi --all --force >/dev/null 2>&1 || true
  fi
  stop_pid "$dir/holder.pid"
}

containerd_start() {
  local dir
  dir=$(mkdir -p "$1" && cd "$1" && pwd)
  local cri='"io.containerd.grpc.v1.cri", '
  [ -n "${CONTAINERD_CRI_CONFIG:-}" ] && cri=""
  cat >"$dir/config.toml" <<EOF
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = [${cri}"io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$dir/containerd.sock"
[ttrpc]
  address = "$dir/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$dir/opt"
EOF
  if [ -n "${CONTAINERD_CRI_CONFIG:-}" ]; then cat "$CONTAINERD_CRI_CONFIG" >>"$dir/config.toml"; fi
  holder "$dir"
  local h
  h=$(cat "$dir/holder.pid")
  if ! { [ -f "$dir/containerd.pid" ] && kill -0 "$(cat "$dir/containerd.pid")" 2>/dev/null; }; then
    setsid nsenter -t "$h" -m -- containerd --config "$dir/config.toml" \
      </dev/null >"$dir/containerd.log" 2>&1 &
    echo $! >"$dir/containerd.pid"
  fi
  cat >"$dir/ctr" <<EOF
#!/bin/sh
exec nsenter -t $h -m -- ctr --address $dir/containerd.sock "\$@"
EOF
  chmod +x "$dir/ctr"
  for _ in $(seq 100); do
    "$dir/ctr" version >/dev/null 2>&1 && { echo "$dir/ctr"; return; }
    sleep 0.1
  done
  echo "setup_clients.sh: containerd did not answer; see $dir/containerd.log" >&2
  exit 1
}

containerd_stop() {
  local dir=$1
  stop_pid "$dir/containerd.pid"
  stop_pid "$dir/holder.pid"
}

case "${1:-install}" in
  install) install ;;
  podman-start) install && podman_start "${2:?DIR}" ;;
  podman-stop) podman_stop "${2:?DIR}" ;;
  containerd-start) install && containerd_start "${2:?DIR}" ;;
  containerd-stop) containerd_stop "${2:?DIR}" ;;
  *)
    echo "usage: $0 [install | podman-start DIR | podman-stop DIR |" \
      "containerd-start DIR | containerd-stop DIR]" >&2
    exit 2
    ;;
esac
