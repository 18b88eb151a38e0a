#!/bin/sh
# kube-apiserver benchmark: builds release binaries, makes certificates with bootstrap in a temp dir, and runs
# apiserver-bench (start-to-ready, idle RSS, GET/LIST/CREATE with 8 and 64 TLS clients, watch delivery latency).
# usage: bench/apiserver.sh [seconds-per-phase]   (results go to stdout as Markdown; see BENCHMARKS.md)
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product kube-apiserver >/dev/null
swift build -c release --product bootstrap >/dev/null
swift build -c release --product apiserver-bench >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
.build/release/bootstrap init phase certs all --cert-dir "$dir/pki" --apiserver-advertise-address 127.0.0.1 --node-name bench >/dev/null
# A client certificate like admin.conf's (O=kubeadm:cluster-admins), so every request goes through RBAC.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/admin.key" \
  -subj "/O=kubeadm:cluster-admins/CN=kubernetes-admin" -out "$dir/admin.csr" 2>/dev/null
openssl x509 -req -in "$dir/admin.csr" -CA "$dir/pki/ca.crt" -CAkey "$dir/pki/ca.key" -CAcreateserial -days 1 \
  -out "$dir/admin.crt" 2>/dev/null
.build/release/apiserver-bench "$PWD/.build/release/kube-apiserver" "$dir/pki" "$dir/admin.crt" "$dir/admin.key" "${1:-10}"
