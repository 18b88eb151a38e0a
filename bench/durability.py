#!/usr/bin/env python3
"""Acceptance check for the embedded store: kill -9 the kube-apiserver during a stream of creates, restart it,
and verify that every create that got a 201 is there.

usage: durability.py <server-url> <ca.crt> <client.crt> <client.key> <namespace> <restart-command> <pid-file>
"""
import http.client, json, os, signal, ssl, subprocess, sys, threading, time, urllib.parse

url, ca, cert, key, ns, restart, pidfile = sys.argv[1:8]
u = urllib.parse.urlparse(url)
ctx = ssl.create_default_context(cafile=ca)
ctx.load_cert_chain(cert, key)
acked, lock, stop = [], threading.Lock(), threading.Event()

def conn():
    return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=5)

def writer(n):
    c, i = conn(), 0
    while not stop.is_set():
        name = f"d-{n}-{i}"
        body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": str(i)}})
        try:
            c.request("POST", f"/api/v1/namespaces/{ns}/configmaps", body, {"content-type": "application/json"})
            r = c.getresponse(); r.read()
            if r.status == 201:
                with lock: acked.append(name)
        except Exception:
            c = conn()
            time.sleep(0.01)
        i += 1

threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
for t in threads: t.start()
time.sleep(1.5)
pid = int(open(pidfile).read())
os.kill(pid, signal.SIGKILL)
killed_at = len(acked)
stop.set()
for t in threads: t.join()
subprocess.run(restart, shell=True, check=True)
c = conn()
c.request("GET", f"/api/v1/namespaces/{ns}/configmaps")
items = {i["metadata"]["name"] for i in json.loads(c.getresponse().read())["items"]}
missing = [n for n in acked if n not in items]
print(f"acknowledged creates: {len(acked)} (at kill: {killed_at}); present after restart: {len(items)}; missing: {len(missing)}")
sys.exit(1 if missing else 0)
