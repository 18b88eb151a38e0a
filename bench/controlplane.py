#!/usr/bin/env python3
"""Control-plane cost as the cluster grows: kube-apiserver, kube-controller-manager and kube-scheduler together.

usage: bench/controlplane.py [BIN_DIR, default .build/release] [sizes, default 100,1000,10000] [updates, default 200]

For each size N it starts a fresh control plane with `bootstrap test-env` (release binaries, embedded store), makes
one fake Node (Ready, never heartbeating: the node-lifecycle controller leaves it alone for its grace period) and
  1. creates N pods bound to the fake node (spec.nodeName set) through a ReplicaSet-less path (plain pods),
  2. measures the CPU (utime+stime of the three processes, from /proc) spent on UPDATES pod status writes
     (PATCH pods/<name>/status, one condition flipped), divided per write,
  3. measures the CPU of 20 s with nothing changing (idle cost, % of one core),
  4. in a second namespace, creates N pods with a nodeSelector no node has and times until all are marked
     PodScheduled=False/Unschedulable by the scheduler, then the idle CPU again (unschedulable pods must cost nothing),
and reports RSS of each process. Prints a Markdown table.
"""
import http.client
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import base64

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bindir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/release")
sizes = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "100,1000,10000").split(",")]
updates = int(sys.argv[3]) if len(sys.argv) > 3 else 200
ticks = os.sysconf("SC_CLK_TCK")


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {what}")


class Plane:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="kubestrap-bench-")
        self.proc = subprocess.Popen([os.path.join(bindir, "bootstrap"), "test-env", "--dir", self.dir, "--bin-dir", bindir],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = ""
        while "export KUBECONFIG=" not in line:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("test-env ended before it was ready")
        cfg = open(os.path.join(self.dir, "admin.conf")).read()
        self.port = int(re.search(r"server: https://127.0.0.1:(\d+)", cfg).group(1))
        for field, name in (("client-certificate-data", "admin.crt"), ("client-key-data", "admin.key")):
            data = re.search(field + r": (\S+)", cfg).group(1)
            open(os.path.join(self.dir, name), "wb").write(base64.b64decode(data))
        self.ctx = ssl.create_default_context(cafile=os.path.join(self.dir, "pki/ca.crt"))
        self.ctx.load_cert_chain(os.path.join(self.dir, "admin.crt"), os.path.join(self.dir, "admin.key"))
        self.local = threading.local()
        self.pids = {}
        for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            out = subprocess.run(["pgrep", "-f", f"{bindir}/{name} .*{self.dir}"], capture_output=True, text=True).stdout.split()
            if out:
                self.pids[name] = int(out[0])

    def conn(self):
        c = getattr(self.local, "c", None)
        if c is None:
            c = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.ctx, timeout=120)
            self.local.c = c
        return c

    def call(self, method, path, body=None, ctype="application/json"):
        for attempt in range(3):
            try:
                c = self.conn()
                c.request(method, path, body=json.dumps(body) if body is not None else None,
                          headers={"Content-Type": ctype, "Accept": "application/json"})
                r = c.getresponse()
                data = r.read()
                return r.status, (json.loads(data) if data else None)
            except (http.client.HTTPException, OSError):
                self.local.c = None
                if attempt == 2:
                    raise

    def cpu_each(self):
        out = {}
        for name, pid in self.pids.items():
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            out[name] = (int(fields[11]) + int(fields[12])) / ticks
        return out

    def cpu(self):
        return sum(self.cpu_each().values())

    def rss(self):
        out = {}
        for name, pid in self.pids.items():
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    out[name] = int(line.split()[1]) // 1024
        return out

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        subprocess.run(["rm", "-rf", self.dir])


def parallel(n, fn, workers=8):
    def run(offset):
        for i in range(offset, n, workers):
            fn(i)
    threads = [threading.Thread(target=run, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def pod(name, ns, node=None, selector=None):
    spec = {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1d"],
                            "resources": {"requests": {"cpu": "1m", "memory": "1Mi"}}}]}
    if node:
        spec["nodeName"] = node
    if selector:
        spec["nodeSelector"] = selector
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": "bench"}}, "spec": spec}


def idle_cpu(plane, seconds=20):
    before = plane.cpu_each()
    time.sleep(seconds)
    after = plane.cpu_each()
    each = {name: (after[name] - before[name]) / seconds * 100 for name in after}
    print("  idle % core: " + ", ".join(f"{name} {v:.2f}" for name, v in each.items()), file=sys.stderr)
    return sum(each.values())


rows = []
for n in sizes:
    plane = Plane()
    try:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "fake-node", "labels": {"kubernetes.io/hostname": "fake-node"}},
                "status": {"capacity": {"cpu": "100000", "memory": "1000Ti", "pods": "1000000"},
                           "allocatable": {"cpu": "100000", "memory": "1000Ti", "pods": "1000000"},
                           "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "lastHeartbeatTime": now,
                                           "lastTransitionTime": now}]}}
        status, _ = plane.call("POST", "/api/v1/nodes", node)
        assert status == 201, status
        plane.call("PATCH", "/api/v1/nodes/fake-node/status", {"status": node["status"]}, "application/merge-patch+json")
        # A heartbeat as a kubelet's: the node's Lease renewed every 10 s, so node-lifecycle keeps it Ready.
        stop_beat = threading.Event()

        def beat():
            lease = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                     "metadata": {"name": "fake-node", "namespace": "kube-node-lease"},
                     "spec": {"holderIdentity": "fake-node", "leaseDurationSeconds": 40}}
            plane.call("POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases", lease)
            while not stop_beat.is_set():
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
                plane.call("PATCH", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/fake-node",
                           {"spec": {"renewTime": stamp}}, "application/merge-patch+json")
                stop_beat.wait(10)
        beater = threading.Thread(target=beat, daemon=True)
        beater.start()
        for ns in ("bound", "pending"):
            plane.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        wait_for(lambda: plane.call("GET", "/api/v1/namespaces/bound/serviceaccounts/default")[0] == 200, 60, "the default service account")
        start = time.time()
        parallel(n, lambda i: plane.call("POST", "/api/v1/namespaces/bound/pods", pod(f"p{i}", "bound", node="fake-node")))
        create_s = time.time() - start
        time.sleep(3)
        cpu0 = plane.cpu()
        t0 = time.time()

        def update(i):
            cond = {"type": "Ready", "status": "True" if i % 2 == 0 else "False", "lastTransitionTime": now}
            plane.call("PATCH", f"/api/v1/namespaces/bound/pods/p{i % n}/status",
                       {"status": {"phase": "Running", "conditions": [cond]}}, "application/merge-patch+json")
        parallel(updates, update)
        update_s = time.time() - t0
        time.sleep(2)  # controllers react to the last writes
        per_update_ms = (plane.cpu() - cpu0) / updates * 1000
        idle_bound = idle_cpu(plane)
        start = time.time()
        parallel(n, lambda i: plane.call("POST", "/api/v1/namespaces/pending/pods", pod(f"q{i}", "pending", selector={"no-such": "label"})))

        def unschedulable():
            status, body = plane.call("GET", "/api/v1/namespaces/pending/pods?limit=0")
            items = body.get("items", [])
            marked = sum(1 for p in items if any(c.get("type") == "PodScheduled" and c.get("reason") == "Unschedulable"
                                                 for c in p.get("status", {}).get("conditions", [])))
            return marked == n
        wait_for(unschedulable, 600, f"{n} pods marked Unschedulable")
        unschedulable_s = time.time() - start
        time.sleep(3)
        idle_pending = idle_cpu(plane)
        rss = plane.rss()
        if os.environ.get("BENCH_HOLD"):
            # Keeps the control plane up for profiling (perf record -p …) with nothing changing.
            print(f"  holding {os.environ['BENCH_HOLD']} s: pids {plane.pids}", file=sys.stderr, flush=True)
            time.sleep(float(os.environ["BENCH_HOLD"]))
        stop_beat.set()
        rows.append((n, create_s, per_update_ms, update_s / updates * 1000, idle_bound, unschedulable_s, idle_pending, rss))
        print(f"n={n}: {per_update_ms:.2f} ms CPU/update, idle {idle_bound:.2f}% / {idle_pending:.2f}%, "
              f"{n} unschedulable in {unschedulable_s:.1f}s, RSS {rss}", file=sys.stderr)
    finally:
        plane.stop()

print("| pods | create N (s) | CPU per status update (ms, all 3) | latency per update (ms) | idle, N bound (% core) "
      "| N unschedulable marked in (s) | idle, 2N pods (% core) | RSS apiserver / KCM / scheduler (MiB) |")
print("|---:|---:|---:|---:|---:|---:|---:|---|")
for n, c, cpu, lat, idle1, uns, idle2, rss in rows:
    print(f"| {n} | {c:.1f} | {cpu:.2f} | {lat:.2f} | {idle1:.2f} | {uns:.1f} | {idle2:.2f} | "
          f"{rss.get('kube-apiserver', '?')} / {rss.get('kube-controller-manager', '?')} / {rss.get('kube-scheduler', '?')} |")
