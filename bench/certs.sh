#!/usr/bin/env bash
# Benchmark: wall time of `bootstrap init phase certs all` (22 files) and `init phase kubeconfig all`,
# for RSA-2048 and ECDSA-P256, in fresh temp dirs. Uses the release build.
# Usage: bench/certs.sh [runs]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
swift build -c release --product bootstrap >/dev/null
bin=.build/release/bootstrap

measure() { # algorithm phase
  local alg="$1" phase="$2" times=()
  for _ in $(seq "$runs"); do
    local d; d="$(mktemp -d)"
    printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: %s\ncertificatesDir: %s/pki\n' "$alg" "$d" > "$d/c.yaml"
    local args=(--config "$d/c.yaml" --apiserver-advertise-address 10.0.0.5 --node-name n1)
    if [ "$phase" = kubeconfig ]; then "$bin" init phase certs all "${args[@]}" >/dev/null; fi
    local start end
    start=$(date +%s%N)
    if [ "$phase" = kubeconfig ]; then
      "$bin" init phase kubeconfig all --kubeconfig-dir "$d" "${args[@]}" >/dev/null
    else
      "$bin" init phase certs all "${args[@]}" >/dev/null
    fi
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
    rm -rf "$d"
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v alg="$alg" -v phase="$phase" '
    { a[NR]=$1 } END { printf "| %-10s | %-16s | %5d | %5d | %5d |\n", alg, phase, a[1], a[int((NR+1)/2)], a[NR] }'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "runs per row: $runs (ms: min / median / max)"
echo "| algorithm  | phase            |   min | median |   max |"
echo "|------------|------------------|-------|--------|-------|"
for alg in RSA-2048 ECDSA-P256; do
  measure "$alg" certs
  measure "$alg" kubeconfig
done
