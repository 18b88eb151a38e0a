#!/usr/bin/env python3
"""Big LISTs against the release kube-apiserver: time and server memory as the list grows.

usage: bench/biglist.py [KUBE_APISERVER] [sizes, default 100,1000,10000,20000] [repeats, default 10]

Starts the kube-apiserver (release build by default) on a fresh embedded store with certificates from bootstrap and a
static token (system:masters) for curl, fills one namespace per size with ConfigMaps of about 780 bytes as stored
(a 250-byte value, labels, managedFields), then lists each namespace REPEATS times over HTTP/1.1 (curl) and over
HTTP/2 (kubectl get --raw, which is client-go's transport: 4 MiB stream window), checking every response is whole.
Prints a Markdown table: size, response bytes, median time per protocol, server RSS before and after.
"""
import http.client
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, ".build/release/kube-apiserver")
sizes = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "100,1000,10000,20000").split(",")]
repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 10
bootstrap = os.path.join(root, ".build/release/bootstrap")
kubectl = shutil.which("kubectl")

work = tempfile.mkdtemp(prefix="biglist-")
port = 20000 + os.getpid() % 20000
token = "biglist-bench-token"
subprocess.run([bootstrap, "init", "phase", "certs", "all", "--cert-dir", f"{work}/pki", "--apiserver-advertise-address",
                "127.0.0.1", "--node-name", "bench"], check=True, stdout=subprocess.DEVNULL)
subprocess.run([bootstrap, "init", "phase", "kubeconfig", "admin", "--cert-dir", f"{work}/pki", "--kubeconfig-dir", work,
                "--apiserver-advertise-address", "127.0.0.1", "--apiserver-bind-port", str(port), "--node-name", "bench"],
               check=True, stdout=subprocess.DEVNULL)
with open(f"{work}/tokens.csv", "w") as f:
    f.write(f'{token},bench,1000,"system:masters"\n')
server = subprocess.Popen([binary, "--advertise-address=127.0.0.1", "--bind-address=127.0.0.1", f"--secure-port={port}",
                           f"--tls-cert-file={work}/pki/apiserver.crt", f"--tls-private-key-file={work}/pki/apiserver.key",
                           f"--client-ca-file={work}/pki/ca.crt", "--authorization-mode=Node,RBAC",
                           "--service-cluster-ip-range=10.96.0.0/12", f"--data-dir={work}/data",
                           f"--token-auth-file={work}/tokens.csv"], stderr=subprocess.DEVNULL)


def rss_mib():
    with open(f"/proc/{server.pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


context = ssl.create_default_context(cafile=f"{work}/pki/ca.crt")
headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def request(method, path, body=None):
    c = http.client.HTTPSConnection("127.0.0.1", port, context=context)
    c.request(method, path, body, headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


try:
    def wait_for(what, check, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                if check():
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"{what} not within {seconds}s")

    wait_for("/readyz", lambda: request("GET", "/readyz")[0] == 200)

    def fill(ns, n):
        request("POST", "/api/v1/namespaces", json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))

        def work_range(t, k):
            c = http.client.HTTPSConnection("127.0.0.1", port, context=context)
            for i in range(t, n, k):
                body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                                   "metadata": {"name": "cm-%05d" % i, "labels": {"app": "bench", "i": str(i)}},
                                   "data": {"key": "value-%d" % i, "text": "x" * 250}})
                c.request("POST", f"/api/v1/namespaces/{ns}/configmaps", body, headers)
                r = c.getresponse()
                r.read()
                if r.status != 201:
                    raise SystemExit(f"create answered {r.status}")
        threads = [threading.Thread(target=work_range, args=(t, 8)) for t in range(8)]
        [t.start() for t in threads]
        [t.join() for t in threads]

    print(f"kube-apiserver: {binary}; {os.cpu_count()} cores; {repeats} lists per size and protocol\n")
    print("| items | response bytes | HTTP/1.1 median ms | HTTP/2 median ms | RSS before MiB | RSS after MiB | RSS growth per response byte |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        ns = f"list-{n}"
        fill(ns, n)
        # Each namespace also gets kube-root-ca.crt (n + 1 items are expected below).
        wait_for(f"kube-root-ca.crt in {ns}", lambda: request("GET", f"/api/v1/namespaces/{ns}/configmaps/kube-root-ca.crt")[0] == 200)
        before = rss_mib()
        h1, h2 = [], []
        size = 0
        for _ in range(repeats):
            t0 = time.time()
            out = subprocess.run(["curl", "-sS", "--http1.1", "--cacert", f"{work}/pki/ca.crt", "-H", f"Authorization: Bearer {token}",
                                  f"https://127.0.0.1:{port}/api/v1/namespaces/{ns}/configmaps"], capture_output=True, check=True).stdout
            h1.append(time.time() - t0)
            size = len(out)
            if len(json.loads(out)["items"]) != n + 1:   # + kube-root-ca.crt
                raise SystemExit("HTTP/1.1 list incomplete")
            if kubectl:
                t0 = time.time()
                got = subprocess.run([kubectl, "--kubeconfig", f"{work}/admin.conf", "get", "--raw", f"/api/v1/namespaces/{ns}/configmaps"],
                                     capture_output=True)
                h2.append(time.time() - t0)
                if got.returncode != 0 or len(json.loads(got.stdout)["items"]) != n + 1:
                    raise SystemExit(f"HTTP/2 list incomplete: {got.stderr.decode()[-300:]}")
        after = rss_mib()
        h2_ms = f"{statistics.median(h2) * 1000:.0f}" if h2 else "-"
        print(f"| {n} | {size} | {statistics.median(h1) * 1000:.0f} | {h2_ms} | {before:.1f} | {after:.1f} | "
              f"{(after - before) * 1048576 / size:.2f} |", flush=True)
finally:
    server.terminate()
    server.wait()
    shutil.rmtree(work, ignore_errors=True)
