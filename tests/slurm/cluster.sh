#!/usr/bin/env bash
# Starts or stops a one-machine Slurm cluster (Debian's slurm-wlm and munge, as root) for
# the test that submits `telur slurm`'s scripts (tests/it/shards.rs).
#
#   tests/slurm/cluster.sh start   # prints the SLURM_CONF to export; fails if it cannot start
#   tests/slurm/cluster.sh stop
#
# Its state, logs and generated slurm.conf live in $TELUR_SLURM_STATE (default
# /tmp/telur-slurm); nothing is written under /etc.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${TELUR_SLURM_STATE:-/tmp/telur-slurm}
conf=$state/slurm.conf

# Stops the daemons and waits (at most 30 s each) until they are gone: a slurmctld still
# shutting down would delete the pid file of the next one.
stop() {
  for file in "$state/slurmd.pid" "$state/slurmctld.pid" "$state/munged.pid"; do
    if [ -s "$file" ]; then
      pid=$(cat "$file")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$file"
    fi
  done
}

case "${1:-}" in
start)
  if [ "$(id -u)" != 0 ]; then
    echo "cluster.sh: Slurm's daemons need root here" >&2
    exit 1
  fi
  stop
  rm -rf "$state"
  mkdir -p "$state/ctld" "$state/d" /run/munge
  host=$(hostname -s)
  sed -e "s|@HOST@|$host|g" -e "s|@CPUS@|$(nproc)|g" -e "s|@STATE@|$state|g" \
    "$here/slurm.conf.in" >"$conf"
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile=/etc/munge/munge.key
  fi
  munged --force --pid-file="$state/munged.pid" --socket=/run/munge/munge.socket.2
  slurmctld -f "$conf"
  slurmd -f "$conf"
  # Bounded wait for the node to come up idle.
  for _ in $(seq 60); do
    if SLURM_CONF=$conf sinfo -h -o %t 2>/dev/null | grep -q idle; then
      echo "$conf"
      exit 0
    fi
    sleep 1
  done
  echo "cluster.sh: the node did not come up idle in 60 s; logs in $state" >&2
  tail -n 20 "$state"/*.log >&2 || true
  stop
  exit 1
  ;;
stop)
  stop
  ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
