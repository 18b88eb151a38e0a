#!/bin/sh
# End to end under a real systemd (issue: bootstrap init under systemd): boots a Debian rootfs with systemd as
# PID 1 (debootstrap + systemd-nspawn --boot, changes kept in a volatile overlay), runs `bootstrap init` inside
# with the built binaries bind-mounted, and checks what a user would: `systemctl is-active kubelet`,
# `journalctl -u kubelet`, `ps aux | grep kube-apiserver`, `kubectl get pods -n kube-system`; then
# `bootstrap reset -f` and a clean poweroff.
#
# usage: e2e/systemd-init.sh            (as root; needs debootstrap, systemd-container, network to a Debian mirror)
# `swift test` runs it (CLITests, SystemdEndToEndTests) when those are available and the ports are free.
# The rootfs is cached in ${KUBESTRAP_E2E_CACHE:-/var/cache/kubestrap-e2e}/rootfs and reused.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${KUBESTRAP_E2E_CACHE:-/var/cache/kubestrap-e2e}
rootfs=$cache/rootfs
machine=kubestrap-e2e
log() { echo "[e2e] $*"; }
fail() { echo "[e2e] FAIL: $*" >&2; exit 1; }

if [ ! -x "$rootfs/lib/systemd/systemd" ]; then
  log "debootstrap a Debian bookworm rootfs into $rootfs (once)"
  mkdir -p "$cache"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,procps,ca-certificates,iproute2 \
    bookworm "$rootfs" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 || fail "debootstrap (see $cache/debootstrap.log)"
fi
# The binaries: $KUBESTRAP_E2E_BIN (the test suite passes its own build), else a release build.
if [ -n "${KUBESTRAP_E2E_BIN:-}" ]; then
  bin=$(cd "$KUBESTRAP_E2E_BIN" && pwd -P)
else
  swift build -c release --package-path "$repo" >/dev/null
  bin=$(cd "$repo/.build/release" && pwd -P)
fi
case "$bin" in "$repo"/*) ;; *) fail "the binaries ($bin) must be inside the repository ($repo), which is bind-mounted" ;; esac

# The binaries use the build host's Swift runtime (/opt/swift) and libyaml, as on the host they were built on.
libyaml=$(readlink -f /usr/lib/x86_64-linux-gnu/libyaml-0.so.2)
[ -f "$libyaml" ] || fail "libyaml-0.so.2 not found (apt-get install libyaml-0-2)"
# With etcd on the host (Debian's etcd-server), the stacked-etcd variant runs too.
etcd_bin=$(command -v etcd || true)
log "booting $machine"
systemd-nspawn -D "$rootfs" --machine="$machine" --boot --register=no --keep-unit --volatile=overlay \
  --bind-ro="$repo:/opt/kubestrap-src" --bind-ro=/opt/swift --bind-ro=/usr/bin/kubectl \
  --bind-ro="$libyaml:/usr/lib/x86_64-linux-gnu/libyaml-0.so.2" \
  ${etcd_bin:+--bind-ro="$etcd_bin:/usr/bin/etcd"} \
  >"$cache/nspawn.log" 2>&1 &
nspawn=$!
cleanup() { kill "$nspawn" 2>/dev/null || true; wait "$nspawn" 2>/dev/null || true; }
trap cleanup EXIT

# The container's PID 1 is the process named systemd among nspawn's children or grandchildren (nspawn forks
# helpers first, which come and go).
find_init() {
  for c in $(ps -o pid= --ppid "$nspawn"); do
    for p in $c $(ps -o pid= --ppid "$c"); do
      [ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && { echo "$p"; return 0; }
    done
  done
  return 1
}
pid=""
for _ in $(seq 1 300); do
  pid=$(find_init || true)
  [ -n "$pid" ] && break
  kill -0 "$nspawn" 2>/dev/null || fail "systemd-nspawn exited (see $cache/nspawn.log)"
  sleep 0.1
done
[ -n "$pid" ] || fail "no container init process (see $cache/nspawn.log)"
inside() { nsenter --target "$pid" --mount --uts --ipc --net --pid --cgroup --root --wd=/ env PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
for _ in $(seq 1 300); do
  state=$(inside systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.2
done
case "$state" in running|degraded) ;; *) fail "the container's systemd did not come up (state: '$state'; see $cache/nspawn.log)" ;; esac
log "systemd is $state (PID 1 in the container: $(inside cat /proc/1/comm))"

src_bin=/opt/kubestrap-src/${bin#$repo/}
# The container shares the host's network: kube-proxy's DaemonSet pod would program the host's iptables.
skip_kube_proxy=--skip-phases=addon/kube-proxy
log "bootstrap init (binaries from $src_bin)"
start=$(date +%s%N)
inside "$src_bin/bootstrap" init --node-name "$machine" $skip_kube_proxy || fail "bootstrap init"
log "init took $(( ($(date +%s%N) - start) / 1000000 )) ms"

[ "$(inside systemctl is-active kubelet)" = active ] || fail "kubelet unit is not active"
log "systemctl is-active kubelet: active"
inside systemctl cat kubelet | grep -q "Type=notify" || fail "kubelet unit is not Type=notify"
inside journalctl -u kubelet --no-pager | grep -q "Successfully registered node" || fail "journalctl -u kubelet lacks the node registration"
log "journalctl -u kubelet: $(inside journalctl -u kubelet --no-pager | grep -c .) lines, node registered"
inside ps aux | grep -q "[k]ube-apiserver --advertise-address" || fail "no kube-apiserver process"
log "ps aux: $(inside ps -eo pid,ppid,args | grep '[k]ube-apiserver --advertise' | cut -c1-90)"
inside cat /etc/kubernetes/admin.conf >"$cache/admin.conf"
for _ in $(seq 1 100); do
  phase=$(kubectl --kubeconfig "$cache/admin.conf" get pod -n kube-system "kube-apiserver-$machine" -o jsonpath='{.status.phase}' 2>/dev/null || true)
  [ "$phase" = Running ] && break
  sleep 0.2
done
[ "$phase" = Running ] || fail "kube-apiserver-$machine is not Running"
kubectl --kubeconfig "$cache/admin.conf" get pods -n kube-system
kubectl --kubeconfig "$cache/admin.conf" get nodes

log "bootstrap reset -f"
inside "$src_bin/bootstrap" reset -f >/dev/null || fail "bootstrap reset"
inside sh -c 'ps aux | grep -E "[k]ube(let|-apiserver) "' && fail "processes left after reset"
[ -z "$(inside ls -A /etc/kubernetes/manifests 2>/dev/null)" ] || fail "manifests left after reset"

log "bootstrap init --control-plane-mode=systemd"
inside "$src_bin/bootstrap" init --node-name "$machine" --control-plane-mode=systemd $skip_kube_proxy >/dev/null || fail "bootstrap init --control-plane-mode=systemd"
[ "$(inside systemctl is-active kube-apiserver)" = active ] || fail "kube-apiserver unit is not active"
inside systemctl cat kube-apiserver | grep -q -- "--authorization-mode=Node,RBAC" || fail "systemctl cat kube-apiserver lacks the flags"
inside systemctl show kube-apiserver -p Type | grep -q "Type=notify" || fail "kube-apiserver unit is not Type=notify"
log "systemctl cat kube-apiserver: $(inside systemctl cat kube-apiserver | grep -c -- '    --') flags"
inside cat /etc/kubernetes/admin.conf >"$cache/admin.conf"
kubectl --kubeconfig "$cache/admin.conf" get ns >/dev/null || fail "kubectl against the kube-apiserver unit"
kubectl --kubeconfig "$cache/admin.conf" get nodes
inside "$src_bin/bootstrap" reset -f >/dev/null || fail "bootstrap reset after systemd mode"
inside sh -c 'ps aux | grep -E "[k]ube(let|-apiserver) "' && fail "processes left after reset (systemd mode)"
if [ -n "$etcd_bin" ]; then
  log "bootstrap init --storage-backend=etcd3 (stacked etcd)"
  inside "$src_bin/bootstrap" init --node-name "$machine" --storage-backend=etcd3 $skip_kube_proxy >"$cache/init-etcd.log" 2>&1 \
    || fail "bootstrap init --storage-backend=etcd3: $(tail -15 "$cache/init-etcd.log")"
  inside cat /etc/kubernetes/admin.conf >"$cache/admin.conf"
  for _ in $(seq 1 150); do
    phases=$(kubectl --kubeconfig "$cache/admin.conf" get pods -n kube-system -o jsonpath='{range .items[*]}{.metadata.name}={.status.phase} {end}' 2>/dev/null || true)
    case "$phases" in *"etcd-$machine=Running"*"kube-apiserver-$machine=Running"*) break ;; esac
    sleep 0.2
  done
  case "$phases" in *"etcd-$machine=Running"*"kube-apiserver-$machine=Running"*) ;; *) fail "etcd and kube-apiserver pods not Running: $phases" ;; esac
  kubectl --kubeconfig "$cache/admin.conf" create configmap e2e-etcd --from-literal=stored=in-etcd >/dev/null || fail "kubectl create on etcd"
  if command -v etcdctl >/dev/null; then
    for f in ca.crt healthcheck-client.crt healthcheck-client.key; do inside cat "/etc/kubernetes/pki/etcd/$f" >"$cache/etcd-$f"; done
    ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert="$cache/etcd-ca.crt" --cert="$cache/etcd-healthcheck-client.crt" \
      --key="$cache/etcd-healthcheck-client.key" get /registry/configmaps/default/e2e-etcd --print-value-only | grep -q in-etcd \
      || fail "etcdctl does not find the ConfigMap in etcd"
    rm -f "$cache"/etcd-*
    log "etcdctl get /registry/configmaps/default/e2e-etcd: found"
  fi
  kubectl --kubeconfig "$cache/admin.conf" get pods -n kube-system
  inside "$src_bin/bootstrap" reset -f >/dev/null || fail "bootstrap reset after etcd3"
  inside sh -c 'ps aux | grep -E "[k]ube(let|-apiserver) |[e]tcd --"' && fail "processes left after reset (etcd3)"
  [ -z "$(inside ls -A /var/lib/etcd 2>/dev/null)" ] || fail "/var/lib/etcd left after reset"
fi
inside systemctl poweroff || true
wait "$nspawn" 2>/dev/null || true
trap - EXIT
rm -f "$cache/admin.conf"
log "PASS"
