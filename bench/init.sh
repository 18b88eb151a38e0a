#!/bin/sh
# `bootstrap init` wall time, from start to the node Ready and the kube-apiserver mirror pod Running, on this host's
# real paths (run as root on a machine without a control plane; every run ends with `bootstrap reset -f`).
# usage: bench/init.sh [runs-per-algorithm]
set -eu
cd "$(dirname "$0")/.."
swift build -c release >/dev/null
runs=${1:-5}
node=$(hostname | tr 'A-Z' 'a-z')
cfg=$(mktemp)
trap 'rm -f "$cfg"; .build/release/bootstrap reset -f >/dev/null 2>&1 || true' EXIT
for alg in ECDSA-P256 RSA-2048; do
  printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: %s\n' "$alg" > "$cfg"
  for i in $(seq 1 "$runs"); do
    .build/release/bootstrap reset -f >/dev/null 2>&1 || true
    start=$(date +%s%N)
    .build/release/bootstrap init --config "$cfg" >/dev/null
    until [ "$(kubectl --kubeconfig /etc/kubernetes/admin.conf get pod -n kube-system "kube-apiserver-$node" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ] &&
          kubectl --kubeconfig /etc/kubernetes/admin.conf get node "$node" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True; do
      sleep 0.02
    done
    end=$(date +%s%N)
    echo "$alg run $i: $(( (end - start) / 1000000 )) ms"
  done
done
