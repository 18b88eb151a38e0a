#!/bin/bash
# End to end for kube-controller-manager's lifecycle controllers against a real kube-apiserver (embedded store, no
# kubelet: node and pod statuses are written here as a kubelet would). Checks what a user would see: Endpoints of a
# Service with ready and not-ready pods and a named port (and its EndpointSlice), the pvc-protection finalizer, quota usage, PDB status, a
# node that stops posting going Unknown with the unreachable taints while another keeps renewing its lease, its pods
# marked not ready and evicted when their tolerationSeconds run out, and, once every node is down, NoExecute taints
# taken off (upstream's master disruption mode).
#
# usage: e2e/lifecycle-controllers.sh [build-dir]     (after `swift build`; uses 127.0.0.1:16443 and a temp dir)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$repo/.build/debug}
port=16443
dir=$(mktemp -d /tmp/kubestrap-lifecycle-e2e.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$dir"; }
trap cleanup EXIT
log() { echo "[e2e] $*"; }
fail() { echo "[e2e] FAIL: $*" >&2; echo "--- kube-controller-manager log" >&2; grep -v Reflector "$dir/kcm.log" | tail -40 >&2; exit 1; }

"$bin/bootstrap" init phase certs all --cert-dir "$dir/pki" --apiserver-advertise-address 127.0.0.1 >/dev/null
"$bin/bootstrap" init phase kubeconfig admin --cert-dir "$dir/pki" --kubeconfig-dir "$dir" --apiserver-advertise-address 127.0.0.1 >/dev/null
sed "s#https://127.0.0.1:6443#https://127.0.0.1:$port#" "$dir/admin.conf" > "$dir/admin-e2e.conf"
python3 - "$dir" <<'EOF'
import base64, re, sys
d = sys.argv[1]
text = open(d + '/admin.conf').read()
for key, name in [('client-certificate-data', 'admin.crt'), ('client-key-data', 'admin.key')]:
    open(d + '/' + name, 'wb').write(base64.b64decode(re.search(key + r': (\S+)', text).group(1)))
EOF

pki=$dir/pki
"$bin/kube-apiserver" --secure-port $port --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --data-dir "$dir/data" \
  --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-account-issuer https://kubernetes.default.svc.cluster.local --authorization-mode Node,RBAC \
  --service-cluster-ip-range 10.96.0.0/12 > "$dir/apiserver.log" 2>&1 &
pids+=($!)
k() { # k METHOD PATH [BODY] [CONTENT-TYPE]
  local args=(-s --cacert "$pki/ca.crt" --cert "$dir/admin.crt" --key "$dir/admin.key" -X "$1")
  if [ $# -ge 3 ]; then args+=(-H "Content-Type: ${4:-application/json}" -d "$3"); fi
  curl "${args[@]}" "https://127.0.0.1:$port$2"
}
patch() { k PATCH "$1" "$2" application/merge-patch+json >/dev/null; }
# check PATH PYTHON-EXPRESSION-OVER-o [SECONDS]: polls until the expression holds for the object at PATH.
check() {
  local deadline=$((SECONDS + ${3:-60}))
  while [ $SECONDS -lt $deadline ]; do
    if k GET "$1" | python3 -c "import json,sys; o=json.load(sys.stdin); sys.exit(0 if ($2) else 1)" 2>/dev/null; then return 0; fi
    sleep 1
  done
  fail "$1: $2"
}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
for _ in $(seq 1 60); do k GET /readyz >/dev/null 2>&1 && break; sleep 1; done

# Admin credentials (--use-service-account-credentials needs the system:controller:* roles the apiserver lacks).
"$bin/kube-controller-manager" --kubeconfig "$dir/admin-e2e.conf" --leader-elect=false --use-service-account-credentials=false \
  --controllers node-lifecycle,taint-eviction-controller,endpoints,endpointslice,pod-garbage-collector,persistentvolume-protection,persistentvolumeclaim-protection,resourcequota,disruption \
  --node-monitor-grace-period 10s --secure-port 0 > "$dir/kcm.log" 2>&1 &
pids+=($!)

k POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"lc"}}' >/dev/null
# ServiceAccount admission refuses pods until their namespace has a default ServiceAccount (the serviceaccount
# controller is not run here).
k POST /api/v1/namespaces/lc/serviceaccounts '{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"default"}}' >/dev/null
k POST /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kube-node-lease"}}' >/dev/null
t=$(now)
for n in n0 n1; do
  k POST /api/v1/nodes "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"$n\"}}" >/dev/null
  patch /api/v1/nodes/$n/status "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"KubeletReady\",\"lastHeartbeatTime\":\"$t\",\"lastTransitionTime\":\"$t\"}]}}"
done
k POST /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases \
  "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":\"n0\"},\"spec\":{\"holderIdentity\":\"n0\",\"renewTime\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)\"}}" >/dev/null
# n0's kubelet renews its lease until told to stop.
(while [ ! -e "$dir/stop-n0" ]; do
   patch /apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/n0 "{\"spec\":{\"renewTime\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)\"}}"
   sleep 2
 done) &
pids+=($!)

k POST /api/v1/namespaces/lc/services '{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http"}]}}' >/dev/null
for i in 1 2; do
  k POST /api/v1/namespaces/lc/pods "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web-$i\",\"labels\":{\"app\":\"web\"}},\"spec\":{\"nodeName\":\"n1\",\"tolerations\":[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":$((i * 15))}],\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"ports\":[{\"name\":\"http\",\"containerPort\":8080}],\"resources\":{\"requests\":{\"cpu\":\"250m\",\"memory\":\"64Mi\"}}}]}}" >/dev/null
done
patch /api/v1/namespaces/lc/pods/web-1/status "{\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.11\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"lastTransitionTime\":\"$t\"}]}}"
patch /api/v1/namespaces/lc/pods/web-2/status "{\"status\":{\"phase\":\"Running\",\"podIP\":\"10.244.0.12\",\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"lastTransitionTime\":\"$t\"}]}}"
k POST /api/v1/namespaces/lc/persistentvolumeclaims '{"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}' >/dev/null
k POST /api/v1/namespaces/lc/resourcequotas '{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},"spec":{"hard":{"pods":"10","requests.cpu":"2","requests.memory":"1Gi","requests.storage":"5Gi"}}}' >/dev/null
k POST /apis/policy/v1/namespaces/lc/poddisruptionbudgets '{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web"},"spec":{"maxUnavailable":1,"selector":{"matchLabels":{"app":"web"}}}}' >/dev/null

log "endpoints"
check /api/v1/namespaces/lc/endpoints/web "[a['ip'] for a in o['subsets'][0]['addresses']] == ['10.244.0.11'] and [a['ip'] for a in o['subsets'][0]['notReadyAddresses']] == ['10.244.0.12'] and o['subsets'][0]['ports'][0]['port'] == 8080"
log "endpointslice"
check "/apis/discovery.k8s.io/v1/namespaces/lc/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb" "len(o['items']) == 1 and sorted((e['addresses'][0], e['conditions']['ready']) for e in o['items'][0]['endpoints']) == [('10.244.0.11', True), ('10.244.0.12', False)] and o['items'][0]['ports'] == [{'name': 'http', 'port': 8080, 'protocol': 'TCP'}] and o['items'][0]['metadata']['ownerReferences'][0]['name'] == 'web'"
log "pvc-protection"
check /api/v1/namespaces/lc/persistentvolumeclaims/data "o['metadata'].get('finalizers') == ['kubernetes.io/pvc-protection']"
log "resourcequota"
check /api/v1/namespaces/lc/resourcequotas/q "o['status']['used'] == {'pods': '2', 'requests.cpu': '500m', 'requests.memory': '128Mi', 'requests.storage': '1Gi'}"
log "disruption"
check /apis/policy/v1/namespaces/lc/poddisruptionbudgets/web "o['status'].get('expectedPods') == 2 and o['status'].get('desiredHealthy') == 1 and o['status'].get('observedGeneration') == 1"
log "node-lifecycle: n1 stops posting"
check /api/v1/nodes/n1 "[c for c in o['status']['conditions'] if c['type'] == 'Ready'][0]['reason'] == 'NodeStatusUnknown' and {(t['key'], t['effect']) for t in o['spec'].get('taints', [])} == {('node.kubernetes.io/unreachable', 'NoSchedule'), ('node.kubernetes.io/unreachable', 'NoExecute')}" 40
check /api/v1/namespaces/lc/pods/web-1 "[c for c in o['status']['conditions'] if c['type'] == 'Ready'][0]['status'] == 'False'"
check /api/v1/nodes/n0 "[c for c in o['status']['conditions'] if c['type'] == 'Ready'][0]['status'] == 'True' and not o.get('spec', {}).get('taints')"
log "taint-eviction: web-1 (15 s) then web-2 (30 s)"
check /api/v1/namespaces/lc/pods/web-1 "o['metadata'].get('deletionTimestamp') and any(c['type'] == 'DisruptionTarget' and c['reason'] == 'DeletionByTaintManager' for c in o['status']['conditions'])" 40
check /api/v1/namespaces/lc/pods/web-2 "not o['metadata'].get('deletionTimestamp')" 1
check /api/v1/namespaces/lc/pods/web-2 "o['metadata'].get('deletionTimestamp')" 40
log "every node down: master disruption mode"
touch "$dir/stop-n0"
check /api/v1/nodes/n0 "[c for c in o['status']['conditions'] if c['type'] == 'Ready'][0]['status'] == 'Unknown'" 40
check /api/v1/nodes/n1 "{(t['key'], t['effect']) for t in o['spec'].get('taints', [])} == {('node.kubernetes.io/unreachable', 'NoSchedule')}" 20
check /api/v1/nodes/n0 "{(t['key'], t['effect']) for t in o['spec'].get('taints', [])} == {('node.kubernetes.io/unreachable', 'NoSchedule')}" 20
log "endpoints and endpoint slices go with their Service"
k DELETE /api/v1/namespaces/lc/services/web >/dev/null
check /api/v1/namespaces/lc/endpoints/web "o.get('code') == 404" 20
check "/apis/discovery.k8s.io/v1/namespaces/lc/endpointslices?labelSelector=kubernetes.io/service-name%3Dweb" "o['items'] == []" 20
log "PASS"
