#!/bin/sh
# kube-apiserver benchmark: builds release binaries, makes certificates with bootstrap in a temp dir, and runs
# apiserver-bench (start-to-ready, idle RSS, GET/LIST/CREATE with 8 and 64 TLS clients, watch delivery latency).
# usage: bench/apiserver.sh [--etcd] [seconds-per-phase]   (results go to stdout as Markdown; see BENCHMARKS.md)
#   --etcd: store in a real etcd (Debian's etcd-server) laid out like kubeadm's stacked etcd: TLS with client
#           certificates from the same PKI, data in the temp dir.
set -eu
cd "$(dirname "$0")/.."
etcd=""
if [ "${1:-}" = "--etcd" ]; then etcd=yes; shift; fi
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
if [ -n "$etcd" ]; then
  client=$((30000 + $$ % 10000)); peer=$((client + 1))
  etcd --name bench --data-dir "$dir/etcd" --log-level error \
    --listen-client-urls "https://127.0.0.1:$client" --advertise-client-urls "https://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "bench=http://127.0.0.1:$peer" --cert-file "$dir/pki/etcd/server.crt" --key-file "$dir/pki/etcd/server.key" \
    --client-cert-auth --trusted-ca-file "$dir/pki/etcd/ca.crt" 2>"$dir/etcd.log" &
  etcd_pid=$!
  trap 'kill $etcd_pid 2>/dev/null; wait $etcd_pid 2>/dev/null; rm -rf "$dir"' EXIT
  export KUBE_APISERVER_EXTRA_ARGS="--storage-backend=etcd3 --etcd-servers=https://127.0.0.1:$client --etcd-cafile=$dir/pki/etcd/ca.crt --etcd-certfile=$dir/pki/apiserver-etcd-client.crt --etcd-keyfile=$dir/pki/apiserver-etcd-client.key"
  echo "storage: etcd $(etcd --version | head -1 | cut -d' ' -f3) over TLS at 127.0.0.1:$client"
fi
.build/release/apiserver-bench "$PWD/.build/release/kube-apiserver" "$dir/pki" "$dir/admin.crt" "$dir/admin.key" "${1:-10}"
