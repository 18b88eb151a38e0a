#!/usr/bin/env bash
# Benchmark the kubelet (release build):
#  1. manifest write -> new container process started (the container records its own start time)
#  2. kill -9 of a container -> first restart started
#  3. kubelet RSS with 10 static pods running
# Usage: bench/kubelet.sh [runs]   (default 10). Uses a temp dir and a free healthz port; cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
[ -n "${KUBELET_BIN:-}" ] || swift build -c release --product kubelet >/dev/null
bin="${KUBELET_BIN:-$PWD/.build/release/kubelet}"
# Start from the binary's pages out of the page cache, as after a reboot or an install by `bootstrap init`: pages
# left there by the linker (or cp) sit in large folios and add 1.5-2 MiB of RSS (BENCHMARKS.md).
dd if="$bin" iflag=nocache count=0 status=none
work="$(mktemp -d)"
mkdir -p "$work/manifests"
cat > "$work/config.yaml" <<Y
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
podLogsDir: $work/log/pods
healthzPort: 0
Y
"$bin" --config "$work/config.yaml" --pod-manifest-path "$work/manifests" --root-dir "$work/root" \
  --hostname-override bench --stop-pods-on-exit 2>"$work/kubelet.log" &
kpid=$!
trap 'kill $kpid 2>/dev/null; wait $kpid 2>/dev/null; rm -rf "$work"' EXIT
sleep 1

pod() { # name script
  printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: none\n    command: ["/bin/sh", "-c", %s]\n' "$1" "$2"
}
now() { date +%s%N; }
stats() { sort -n | awk -v label="$1" '{ a[NR]=$1 } END { printf "| %-40s | %7.1f | %7.1f | %7.1f |\n", label, a[1]/1e6, a[int((NR+1)/2)]/1e6, a[NR]/1e6 }'; }
wait_for() { for _ in $(seq 1 500); do [ -s "$1" ] && return 0; sleep 0.01; done; return 1; }

start_lat=(); restart_lat=()
for i in $(seq "$runs"); do
  stamp="$work/start-$i"
  t0=$(now)
  pod "p$i" "'date +%s%N >> $stamp; exec sleep 600'" > "$work/manifests/.p$i.tmp"
  mv "$work/manifests/.p$i.tmp" "$work/manifests/p$i.yaml"
  wait_for "$stamp"
  start_lat+=($(( $(head -1 "$stamp") - t0 )))
  pid=$(pgrep -f "exec sleep 600" -n || true)
  pid=$(pgrep -xf "sleep 600" -n)
  t1=$(now); kill -9 "$pid"
  for _ in $(seq 1 500); do [ "$(wc -l < "$stamp")" -ge 2 ] && break; sleep 0.01; done
  restart_lat+=($(( $(sed -n 2p "$stamp") - t1 )))
  rm "$work/manifests/p$i.yaml"
done
for i in $(seq 1 10); do pod "idle$i" "'exec sleep 600'" > "$work/manifests/idle$i.yaml"; done
for _ in $(seq 1 200); do [ "$(pgrep -xfc 'sleep 600')" -ge 10 ] && break; sleep 0.05; done
sleep 2
rss=$(awk '/VmRSS/ {print $2}' /proc/$kpid/status)
# RSS counts every resident page of the binary and the shared libraries; PSS splits shared pages among their users
# and Private is what this process alone holds (heap, stacks, relocated data).
pss=$(awk '/^Pss:/ {print $2}' /proc/$kpid/smaps_rollup)
private=$(awk '/^Private_(Clean|Dirty):/ {s += $2} END {print s}' /proc/$kpid/smaps_rollup)

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); runs: $runs"
echo "| measurement                              |  min ms | median ms | max ms |"
echo "|------------------------------------------|--------:|----------:|-------:|"
printf '%s\n' "${start_lat[@]}" | stats "manifest written -> process started"
printf '%s\n' "${restart_lat[@]}" | stats "kill -9 -> first restart started"
echo "kubelet RSS with 10 static pods running: $(awk -v k=$rss 'BEGIN {printf "%.1f", k/1024}') MiB ($rss KiB; PSS $pss KiB, private $private KiB), $(pgrep -xfc 'sleep 600') containers"
