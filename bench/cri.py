#!/usr/bin/env python3
"""Pod create -> container running through the CRI, and the kubelet's memory with N CRI pods.

Needs: a running containerd with docker.io/library/busybox:1.36 and the pause image imported
(tools/images/build-offline-images.sh), a CNI config in /etc/cni/net.d, root.
Starts `bootstrap test-env` (apiserver, controller-manager, scheduler on ephemeral ports) and a kubelet with
--container-runtime-endpoint against it, from BIN (default .build/release). Each pod is created with kubectl; the
time is from just before `kubectl create` to the moment a watch sees status.phase Running with the container
running (the watch is open before the create, so no polling interval is added).

Then, with 10 and 30 (--idle-pods) pods running and idle: the kubelet's RSS, and the CPU time the kubelet and
containerd spend over 30 s (what following the pods costs: the relist, status reports, lease and node status).

Usage: bench/cri.py [--bin .build/release] [--pods 20] [--idle-pods 10,30]
"""
import argparse, json, os, re, signal, statistics, subprocess, sys, tempfile, time

def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=".build/release")
    p.add_argument("--kubelet", help="the kubelet binary (default BIN/kubelet)")
    p.add_argument("--pods", type=int, default=20)
    p.add_argument("--idle-pods", default="10,30")
    a = p.parse_args()
    if not any(n.endswith((".conf", ".conflist", ".json")) for n in (os.listdir("/etc/cni/net.d") if os.path.isdir("/etc/cni/net.d") else [])):
        sys.exit("no CNI config in /etc/cni/net.d: run `bootstrap init` (it writes 10-kubestrap-bridge.conflist) or write one")
    env_out = tempfile.NamedTemporaryFile(delete=False, suffix=".out").name
    te = subprocess.Popen([f"{a.bin}/bootstrap", "test-env"], stdout=open(env_out, "w"), stderr=subprocess.STDOUT)
    kubelet = None
    try:
        kubeconfig = None
        for _ in range(600):
            m = re.search(r"export KUBECONFIG=(\S+)", open(env_out).read())
            if m:
                kubeconfig = m.group(1); break
            time.sleep(0.1)
        if not kubeconfig:
            sys.exit("test-env did not start: " + open(env_out).read())
        root = os.path.dirname(kubeconfig)
        work = tempfile.mkdtemp(prefix="bench-cri-")
        os.makedirs(f"{work}/manifests")
        with open(f"{work}/config.yaml", "w") as f:
            f.write(f"apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\nport: 20251\nhealthzPort: 0\n"
                    f"podLogsDir: {work}/logs/pods\n")
        env = dict(os.environ, KUBECONFIG=kubeconfig)
        kubelet = subprocess.Popen([a.kubelet or f"{a.bin}/kubelet", f"--config={work}/config.yaml", f"--kubeconfig={root}/kubelet.conf",
                                    f"--pod-manifest-path={work}/manifests", f"--root-dir={work}/root",
                                    "--container-runtime-endpoint=unix:///run/containerd/containerd.sock",
                                    "--hostname-override=test-env"], stdout=open(f"{work}/kubelet.log", "w"), stderr=subprocess.STDOUT)
        for _ in range(300):
            r = subprocess.run(["kubectl", "get", "node", "test-env", "-o", "jsonpath={.status.nodeInfo.containerRuntimeVersion}"],
                               env=env, capture_output=True, text=True)
            if r.stdout.startswith("containerd"): break
            time.sleep(0.2)
        for _ in range(300):  # the ServiceAccount controller makes `default` a moment after start
            if subprocess.run(["kubectl", "get", "serviceaccount", "default"], env=env, capture_output=True).returncode == 0: break
            time.sleep(0.2)
        times = []
        for i in range(a.pods):
            name = f"bench-{i}"
            watch = subprocess.Popen(["kubectl", "get", "pod", "--watch", "-o", "json", "--field-selector", f"metadata.name={name}",
                                      "--output-watch-events"], env=env, stdout=subprocess.PIPE, text=True)
            time.sleep(0.3)  # let the watch open before the create
            t0 = time.monotonic()
            subprocess.run(["kubectl", "run", name, "--image=docker.io/library/busybox:1.36", "--", "/bin/sleep", "3600"],
                           env=env, check=True, capture_output=True)
            decoder, buf = json.JSONDecoder(), ""
            while True:
                line = watch.stdout.readline()
                if not line: break
                buf += line
                try:
                    ev, _ = decoder.raw_decode(buf.strip())
                except ValueError:
                    continue
                buf = ""
                obj = ev.get("object", {})
                cs = obj.get("status", {}).get("containerStatuses", [])
                if obj.get("status", {}).get("phase") == "Running" and cs and "running" in cs[0].get("state", {}):
                    times.append(time.monotonic() - t0); break
            watch.kill()
        sizes = [int(n) for n in a.idle_pods.split(",") if n]
        subprocess.run(["kubectl", "delete", "pod", "--all", "--grace-period=0", "--force"], env=env, capture_output=True)
        for _ in range(600):
            r = subprocess.run(["ctr", "-n", "k8s.io", "c", "ls", "-q"], capture_output=True, text=True)
            if not r.stdout.strip(): break
            time.sleep(0.5)
        def rss():
            for line in open(f"/proc/{kubelet.pid}/status"):
                if line.startswith("VmRSS:"): return int(line.split()[1])
        def cpu(pid):  # user + system seconds
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        containerd = int(subprocess.run(["pgrep", "-x", "containerd"], capture_output=True, text=True).stdout.split()[0])
        rss0 = rss()
        times.sort()
        print(f"pods: {len(times)}  create->running  min {times[0]*1000:.0f} ms  median {statistics.median(times)*1000:.0f} ms  "
              f"p90 {times[int(len(times)*0.9)-1]*1000:.0f} ms  max {times[-1]*1000:.0f} ms")
        print(f"kubelet RSS: {rss0/1024:.1f} MiB with 0 pods")
        created = 0
        for n in sizes:
            while created < n:
                subprocess.run(["kubectl", "run", f"idle-{created}", "--image=docker.io/library/busybox:1.36", "--", "/bin/sleep", "3600"],
                               env=env, check=True, capture_output=True)
                created += 1
            for _ in range(1200):
                r = subprocess.run(["kubectl", "get", "pods", "-o", "jsonpath={.items[*].status.phase}"], env=env, capture_output=True, text=True)
                if r.stdout.split().count("Running") == n: break
                time.sleep(0.5)
            time.sleep(15)  # a few status syncs and relists after the last start
            k0, c0 = cpu(kubelet.pid), cpu(containerd)
            time.sleep(30)
            k1, c1 = cpu(kubelet.pid), cpu(containerd)
            r1 = rss()
            print(f"{n} idle CRI pods: kubelet RSS {r1/1024:.1f} MiB ({(r1-rss0)/max(n,1):.0f} KiB per pod); CPU over 30 s: "
                  f"kubelet {k1-k0:.2f} s, containerd {c1-c0:.2f} s")
        subprocess.run(["kubectl", "delete", "pod", "--all", "--grace-period=0", "--force"], env=env, capture_output=True)
        for _ in range(600):
            r = subprocess.run(["ctr", "-n", "k8s.io", "c", "ls", "-q"], capture_output=True, text=True)
            if not r.stdout.strip(): break
            time.sleep(0.5)
    finally:
        if kubelet: kubelet.send_signal(signal.SIGTERM); kubelet.wait()
        te.send_signal(signal.SIGTERM); te.wait()

if __name__ == "__main__":
    main()
