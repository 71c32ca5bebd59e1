#!/bin/sh
# Runs "$@" in the cgroup sandbox made by sandbox.ts. Called as
#   enter_sandbox.sh DIR... -- COMMAND...
# with one sandbox cgroup directory per hierarchy. It joins them, then (after unshare of the
# mount and cgroup namespaces) mounts every hierarchy afresh over a private /sys/fs/cgroup: a
# cgroupfs mounted inside a cgroup namespace shows that namespace's root as its own root, so
# the suite's absolute cgroupsPath ("/cgrouptest") lands inside the sandbox and nothing the
# suite or a runtime does can reach the host's cgroups. Finally it moves into a "runner" leaf,
# so the sandbox root holds no process (cgroup v2 refuses controllers below a busy cgroup).
set -eu
if [ "${ENTER_SANDBOX_INSIDE:-}" != 1 ]; then
  while [ "$1" != "--" ]; do
    echo $$ >"$1/cgroup.procs"
    shift
  done
  shift
  ENTER_SANDBOX_INSIDE=1 exec unshare --mount --cgroup --propagation private sh "$0" "$@"
fi

# The cgroup mounts as "mountpoint fstype superoptions", read before they are replaced.
mounts=$(awk '{ for (i = 7; i <= NF && $i != "-"; i++); if ($(i+1) == "cgroup" || $(i+1) == "cgroup2") print $5, $(i+1), $(i+3) }' /proc/self/mountinfo)
umount -R -l /sys/fs/cgroup
mount -t tmpfs -o mode=755,size=64k cgroup-sandbox /sys/fs/cgroup
echo "$mounts" | while read -r mp fstype opts; do
  mkdir -p "$mp"
  if [ "$fstype" = cgroup2 ]; then
    mount -t cgroup2 cgroup2 "$mp"
  else
    # Super options start with rw; the rest names the controllers (or name=systemd).
    mount -t cgroup -o "${opts#rw,}" cgroup "$mp"
  fi
  mkdir "$mp/runner"
  if [ -f "$mp/cpuset.cpus" ]; then
    cat "$mp/cpuset.cpus" >"$mp/runner/cpuset.cpus"
    cat "$mp/cpuset.mems" >"$mp/runner/cpuset.mems"
  fi
  echo $$ >"$mp/runner/cgroup.procs"
done
# The usual umask, whatever the caller's: drun's device nodes get it today (expected.json,
# drun-device-mode), so the table must not depend on who starts the suite.
umask 022
exec "$@"
