#!/usr/bin/env bash
# Issue 14's acceptance, run as a user would, on a host where `bootstrap init` found containerd:
#   containerd running, tools/images/build-offline-images.sh run, KUBECONFIG=/etc/kubernetes/admin.conf.
# Prints each check and PASS/FAIL; exits non-zero on the first failure. Cleans up its objects.
set -uo pipefail
export KUBECONFIG=${KUBECONFIG:-/etc/kubernetes/admin.conf}
ns=cri-e2e
fail() { echo "FAIL: $*"; kubectl -n $ns get pods -o wide; exit 1; }
pass() { echo "PASS: $*"; }
wait_for() { # seconds command...
  local until=$(( $(date +%s) + $1 )); shift
  until "$@" >/dev/null 2>&1; do [ "$(date +%s)" -lt "$until" ] || return 1; sleep 0.5; done
}
kubectl delete ns $ns --wait=true >/dev/null 2>&1
kubectl create ns $ns >/dev/null
# The ServiceAccount controller makes the namespace's default account a moment later (as upstream's).
wait_for 30 kubectl -n $ns get serviceaccount default || fail "no default ServiceAccount in $ns"
trap 'kubectl delete ns $ns --wait=false >/dev/null 2>&1' EXIT

# 1. a busybox httpd pod: Running, own namespaces, hostname = pod name, pod IP from the pod CIDR, reachable.
kubectl -n $ns run web --image=docker.io/library/busybox:1.36 -- /bin/httpd -f -p 8080 -h /var/www >/dev/null
wait_for 60 sh -c "kubectl -n $ns get pod web -o jsonpath='{.status.phase}' | grep -qx Running" || fail "web is not Running"
ip=$(kubectl -n $ns get pod web -o jsonpath='{.status.podIP}')
cid=$(kubectl -n $ns get pod web -o jsonpath='{.status.containerStatuses[0].containerID}')
case $cid in containerd://*) ;; *) fail "containerID $cid is not containerd's" ;; esac
pid=$(ctr -n k8s.io task ls | awk -v id="${cid#containerd://}" '$1==id {print $2}')
[ -n "$pid" ] || fail "no containerd task for $cid"
for n in pid mnt uts net; do
  [ "$(readlink /proc/$pid/ns/$n)" != "$(readlink /proc/$$/ns/$n)" ] || fail "the container shares the host's $n namespace"
done
pass "web runs in its own pid, mnt, uts and net namespaces (pid $pid)"
[ "$(nsenter -t "$pid" -u hostname)" = web ] || fail "hostname inside is not web"
pass "hostname inside is the pod name"
curl -fsS -m 5 "http://$ip:8080/" >/dev/null || fail "curl http://$ip:8080/ from the host"
pass "podIP $ip answers from the host"

# 3. a memory limit: OOMKilled, restarted with backoff, the limit visible in the cgroup.
kubectl -n $ns apply -f - >/dev/null <<Y
apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  containers:
  - name: hog
    image: docker.io/library/busybox:1.36
    command: ["/bin/sh", "-c", "sleep 5; exec dd if=/dev/zero of=/dev/null bs=64M count=1"]
    resources: {limits: {memory: 32Mi}}
Y
wait_for 90 sh -c "kubectl -n $ns get pod hog -o jsonpath='{.status.containerStatuses[0].lastState.terminated.reason}' | grep -qx OOMKilled" \
  || fail "hog was not OOMKilled"
pass "hog OOMKilled (lastState.terminated.reason)"
hcid=$(kubectl -n $ns get pod hog -o jsonpath='{.status.containerStatuses[0].containerID}')
wait_for 60 sh -c "kubectl -n $ns get pod hog -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' | grep -qx CrashLoopBackOff" \
  || fail "hog not in CrashLoopBackOff"
pass "hog restarts with CrashLoopBackOff"
huid=$(kubectl -n $ns get pod hog -o jsonpath='{.metadata.uid}')
# The limit is on the container's cgroup, which exists while it runs (5 s of each restart).
wait_for 120 sh -c "cat /sys/fs/cgroup/memory/kubepods/burstable/pod$huid/*/memory.limit_in_bytes | grep -qx 33554432" \
  || fail "no cgroup of hog with memory.limit_in_bytes 33554432"
pass "cgroup memory.limit_in_bytes = 33554432"

# 6. kill -9 the kubelet: the container keeps its ID and keeps running.
before=$(kubectl -n $ns get pod web -o jsonpath='{.status.containerStatuses[0].containerID}')
pkill -9 -x kubelet
# Under systemd the unit restarts it (Restart=always); elsewhere the kubelet-start phase starts it again.
if [ "$(ps -p 1 -o comm=)" != systemd ]; then sleep 1; /usr/local/bin/bootstrap init phase kubelet-start >/dev/null 2>&1 || fail "bootstrap init phase kubelet-start"; fi
wait_for 60 sh -c "curl -fsS -m 2 http://127.0.0.1:10248/healthz" || fail "the kubelet did not come back (systemd or bootstrap restarts it)"
sleep 3
after=$(kubectl -n $ns get pod web -o jsonpath='{.status.containerStatuses[0].containerID}')
[ "$before" = "$after" ] || fail "container ID changed across a kubelet restart: $before → $after"
curl -fsS -m 5 "http://$ip:8080/" >/dev/null || fail "web stopped answering across the kubelet restart"
pass "kill -9 kubelet: web keeps $after and keeps answering"
kubectl -n $ns run never --image=example.com/absent:1 --image-pull-policy=Never -- sh >/dev/null
kubectl -n $ns run badimg --image=registry.invalid/nope:1 -- sh >/dev/null
wait_for 60 sh -c "kubectl -n $ns get pod never -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' | grep -qx ErrImageNeverPull" \
  || fail "never is not ErrImageNeverPull"
pass "imagePullPolicy Never without the image: ErrImageNeverPull"
wait_for 90 sh -c "kubectl -n $ns get pod badimg -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}' | grep -qx ImagePullBackOff" \
  || fail "badimg is not ImagePullBackOff"
pass "a bad image name: ImagePullBackOff"

# 2. exec, cp, port-forward (attach and exec -it are driven by hand with tmux; see the issue note).
[ "$(kubectl -n $ns exec web -- cat /etc/hostname | tr -d '\r')" = web ] || fail "kubectl exec web -- cat /etc/hostname"
pass "kubectl exec web -- cat /etc/hostname"
kubectl -n $ns exec web -- false; [ $? -eq 1 ] || fail "kubectl exec web -- false did not exit 1"
pass "kubectl exec web -- false exits 1"
tmp=$(mktemp -d); echo "copied in $(date +%s)" > "$tmp/in.txt"
kubectl -n $ns cp "$tmp/in.txt" web:/tmp/in.txt || fail "kubectl cp into web"
kubectl -n $ns cp web:/tmp/in.txt "$tmp/out.txt" || fail "kubectl cp out of web"
cmp -s "$tmp/in.txt" "$tmp/out.txt" || fail "kubectl cp round trip differs"
pass "kubectl cp in and out"
kubectl -n $ns port-forward pod/web 18080:8080 >"$tmp/pf.log" 2>&1 & pf=$!
wait_for 20 curl -fsS -m 2 http://127.0.0.1:18080/ || { kill $pf; fail "port-forward 18080:8080 (log: $(cat "$tmp/pf.log"))"; }
kill $pf; wait $pf 2>/dev/null
pass "kubectl port-forward web 18080:8080 + curl"

# 2. kubectl debug: an ephemeral container in web's PID namespace sees httpd, runs once, and its logs are served.
kubectl -n $ns debug web --image=docker.io/library/busybox:1.36 --target=web --container=dbg --profile=general -- ps >/dev/null 2>&1 \
  || fail "kubectl debug web --target=web"
wait_for 60 sh -c "kubectl -n $ns get pod web -o jsonpath='{.status.ephemeralContainerStatuses[0].state.terminated.reason}' | grep -qx Completed" \
  || fail "the ephemeral container dbg did not complete"
dbg_logs=$(kubectl -n $ns logs web -c dbg)
grep -q '/bin/httpd' <<<"$dbg_logs" || fail "dbg did not see web's processes (logs: $(kubectl -n $ns logs web -c dbg 2>&1))"
[ "$(kubectl -n $ns get pod web -o jsonpath='{.status.ephemeralContainerStatuses[0].restartCount}')" = 0 ] || fail "dbg was restarted"
pass "kubectl debug --target=web: the ephemeral container sees httpd in web's PID namespace"
if command -v tmux >/dev/null; then
  tmux kill-session -t cri-e2e 2>/dev/null
  tmux new-session -d -s cri-e2e -x 100 -y 30 "kubectl -n $ns debug -it web --image=docker.io/library/busybox:1.36 --target=web --container=shell --profile=general; sleep 30"
  wait_for 60 sh -c "tmux capture-pane -t cri-e2e -p | grep -q 'try pressing enter'" || fail "kubectl debug -it did not attach"
  tmux send-keys -t cri-e2e "echo \$((6*7)); stty size; exit" Enter
  wait_for 30 sh -c "tmux capture-pane -t cri-e2e -p | grep -qx '42'" || fail "kubectl debug -it: no answer ($(tmux capture-pane -t cri-e2e -p))"
  tmux capture-pane -t cri-e2e -p | grep -qx '30 100' || fail "kubectl debug -it: the terminal size did not reach the container"
  tmux kill-session -t cri-e2e
  pass "kubectl debug -it: an interactive shell with the terminal's size"
fi
# A pod without a command runs its image's entrypoint (busybox's sh, which ends at once without stdin).
kubectl -n $ns run plain --image=docker.io/library/busybox:1.36 --restart=Never >/dev/null
wait_for 60 sh -c "kubectl -n $ns get pod plain -o jsonpath='{.status.phase}' | grep -qx Succeeded" || fail "a pod without a command did not run its image's entrypoint"
pass "a pod without a command runs its image's entrypoint"

# 4. a Deployment of 3 behind a ClusterIP Service, reached from a pod.
kubectl -n $ns create deployment echo --image=docker.io/library/busybox:1.36 --replicas=3 -- /bin/sh -c 'echo "$HOSTNAME" > /var/www/index.html; exec httpd -f -p 80 -h /var/www' >/dev/null
kubectl -n $ns expose deployment echo --port=80 >/dev/null
wait_for 90 sh -c "kubectl -n $ns get deploy echo -o jsonpath='{.status.readyReplicas}' | grep -qx 3" || fail "echo has not 3 ready replicas"
cip=$(kubectl -n $ns get svc echo -o jsonpath='{.spec.clusterIP}')
# busybox-static's wget crashes (glibc's static resolver); nc speaks the HTTP.
svc_get() { kubectl -n $ns exec web -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 3 $1 80" 2>/dev/null | tail -1 | tr -d '\r'; }
svc_ok() { svc_get "$1" | grep -q '^echo-'; }
wait_for 30 svc_ok "$cip" || fail "web cannot reach the ClusterIP $cip"
pass "a pod reaches the Service's ClusterIP $cip (answered by $(svc_get "$cip"))"

# 5. configMap and secret volumes; a ConfigMap edit reaches the file.
kubectl -n $ns create configmap conf --from-literal=greeting=hello >/dev/null
kubectl -n $ns create secret generic creds --from-literal=password=s3cret >/dev/null
kubectl -n $ns apply -f - >/dev/null <<Y
apiVersion: v1
kind: Pod
metadata: {name: vols}
spec:
  containers:
  - name: c
    image: docker.io/library/busybox:1.36
    command: ["/bin/sleep", "3600"]
    volumeMounts: [{name: conf, mountPath: /etc/conf}, {name: creds, mountPath: /etc/creds, readOnly: true}]
  volumes:
  - {name: conf, configMap: {name: conf}}
  - {name: creds, secret: {secretName: creds}}
Y
wait_for 60 sh -c "kubectl -n $ns get pod vols -o jsonpath='{.status.phase}' | grep -qx Running" || fail "vols is not Running"
[ "$(kubectl -n $ns exec vols -- cat /etc/conf/greeting)" = hello ] || fail "configMap volume content"
[ "$(kubectl -n $ns exec vols -- cat /etc/creds/password)" = s3cret ] || fail "secret volume content"
pass "configMap and secret volumes appear in the container"
kubectl -n $ns patch configmap conf -p '{"data":{"greeting":"bonjour"}}' >/dev/null
start=$(date +%s)
wait_for 150 sh -c "kubectl -n $ns exec vols -- cat /etc/conf/greeting | grep -qx bonjour" || fail "the ConfigMap edit did not reach the file"
pass "the ConfigMap edit reached the file after $(( $(date +%s) - start )) s"

echo "all checks passed"
