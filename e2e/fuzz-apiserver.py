#!/usr/bin/env python3
"""Throws malformed and mutated requests at a running kube-apiserver and fails on any 5xx answer or a dead server
(upstream's deliberate 504 for a watch from a resourceVersion the store has not reached excepted).

usage: e2e/fuzz-apiserver.py BASE_URL CA CERT KEY [seconds] [seed]
  e.g. e2e/fuzz-apiserver.py https://127.0.0.1:6443 /etc/kubernetes/pki/ca.crt admin.crt admin.key 60

Bodies are valid objects of the served kinds mutated at random (types swapped, fields dropped or duplicated, huge,
deep, unicode and boundary values), sent as JSON, YAML, merge/JSON/strategic/apply patches and protobuf garbage.
Every workload kind (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, Pod) also gets its numeric fields,
spec and status, set to int64/int32 edges, fractions, huge floats, strings and nulls, through the main resource, the
/status and /scale subresources: a stored object must never be able to crash the server, so after the run /readyz must
keep answering 200 for a few seconds (a controller that traps on what was stored does so a pass later). Reads (GET,
LIST, WATCH) come with hostile resourceVersions (int64 edges, negative, exponents, text). Only the standard library is
used. The seed is printed so a failure can be replayed.
"""
import http.client
import json
import random
import ssl
import sys
import time
import urllib.parse

base, ca, cert, key = sys.argv[1:5]
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60
seed = int(sys.argv[6]) if len(sys.argv) > 6 else int(time.time())
rng = random.Random(seed)
print(f"seed {seed}", flush=True)
url = urllib.parse.urlparse(base)
context = ssl.create_default_context(cafile=ca)
context.check_hostname = False
context.load_cert_chain(cert, key)

POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
       "spec": {"containers": [{"name": "c", "image": "busybox", "command": ["sleep", "1"],
                                "ports": [{"containerPort": 80}], "env": [{"name": "X", "value": "1"}]}]}}
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": {"k": "v"}}
SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
       "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"a": "b"}}}
DEPLOY = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
          "spec": {"replicas": 2, "selector": {"matchLabels": {"a": "b"}},
                   "template": {"metadata": {"labels": {"a": "b"}}, "spec": POD["spec"]}}}
CRD = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "fuzzes.f.io"},
       "spec": {"group": "f.io", "scope": "Namespaced", "names": {"plural": "fuzzes", "kind": "Fuzz"},
                "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                              "schema": {"openAPIV3Schema": {"type": "object", "properties": {"spec": {
                                  "type": "object", "properties": {"n": {"type": "integer", "minimum": 0},
                                                                   "s": {"type": "string", "pattern": "^a+$"},
                                                                   "l": {"type": "array", "items": {"type": "string"}}}}}}}}]}}
CR = {"apiVersion": "f.io/v1", "kind": "Fuzz", "metadata": {"name": "f"}, "spec": {"n": 1, "s": "aa", "l": ["x"]}}
TEMPLATE = {"metadata": {"labels": {"a": "b"}}, "spec": POD["spec"]}
RS = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs"},
      "spec": {"replicas": 1, "selector": {"matchLabels": {"a": "b"}}, "template": TEMPLATE}}
STS = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "sts"},
       "spec": {"replicas": 1, "serviceName": "sts", "selector": {"matchLabels": {"a": "b"}}, "template": TEMPLATE,
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}}}
DS = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds"},
      "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": TEMPLATE,
               "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}}}}
JOB_SPEC = {"parallelism": 1, "completions": 1, "backoffLimit": 2, "activeDeadlineSeconds": 60, "ttlSecondsAfterFinished": 60,
            "template": {"spec": {"restartPolicy": "Never", "containers": POD["spec"]["containers"]}}}
JOB = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": JOB_SPEC}
CRON = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "cj"},
        "spec": {"schedule": "*/5 * * * *", "startingDeadlineSeconds": 30, "successfulJobsHistoryLimit": 1,
                 "failedJobsHistoryLimit": 1, "jobTemplate": {"spec": JOB_SPEC}}}
TOKEN = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
REVIEW = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
          "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}}

TARGETS = [
    ("/api/v1/namespaces/default/pods", POD), ("/api/v1/namespaces/default/configmaps", CM),
    ("/api/v1/namespaces/default/services", SVC), ("/apis/apps/v1/namespaces/default/deployments", DEPLOY),
    ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD), ("/apis/f.io/v1/namespaces/default/fuzzes", CR),
    ("/api/v1/namespaces/default/serviceaccounts/default/token", TOKEN),
    ("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", REVIEW),
    ("/apis/apps/v1/namespaces/default/replicasets", RS), ("/apis/apps/v1/namespaces/default/statefulsets", STS),
    ("/apis/apps/v1/namespaces/default/daemonsets", DS), ("/apis/batch/v1/namespaces/default/jobs", JOB),
    ("/apis/batch/v1/namespaces/default/cronjobs", CRON),
]

# The numeric fields of each workload kind (int32 unless noted), spec and status, that the controllers compute with.
CONTAINER = ("spec", "template", "spec", "containers", 0)
POD_TEMPLATE_NUMBERS = [CONTAINER + ("ports", 0, "containerPort"), CONTAINER + ("ports", 0, "hostPort"),
                        CONTAINER + ("livenessProbe", "periodSeconds"), CONTAINER + ("readinessProbe", "httpGet", "port"),
                        ("spec", "template", "spec", "terminationGracePeriodSeconds"), ("spec", "template", "spec", "priority")]
NUMERIC = {
    "Deployment": (DEPLOY, "/apis/apps/v1/namespaces/default/deployments", True,
                   [("spec", "replicas"), ("spec", "minReadySeconds"), ("spec", "revisionHistoryLimit"), ("spec", "progressDeadlineSeconds"),
                    ("spec", "strategy", "rollingUpdate", "maxSurge"), ("spec", "strategy", "rollingUpdate", "maxUnavailable")]
                   + POD_TEMPLATE_NUMBERS,
                   [("status", "replicas"), ("status", "readyReplicas"), ("status", "availableReplicas"), ("status", "updatedReplicas"),
                    ("status", "collisionCount"), ("status", "observedGeneration")]),
    "ReplicaSet": (RS, "/apis/apps/v1/namespaces/default/replicasets", True,
                   [("spec", "replicas"), ("spec", "minReadySeconds")] + POD_TEMPLATE_NUMBERS,
                   [("status", "replicas"), ("status", "readyReplicas"), ("status", "availableReplicas"), ("status", "observedGeneration")]),
    "StatefulSet": (STS, "/apis/apps/v1/namespaces/default/statefulsets", True,
                    [("spec", "replicas"), ("spec", "ordinals", "start"), ("spec", "updateStrategy", "rollingUpdate", "partition"),
                     ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"), ("spec", "minReadySeconds")] + POD_TEMPLATE_NUMBERS,
                    [("status", "replicas"), ("status", "currentReplicas"), ("status", "collisionCount")]),
    "DaemonSet": (DS, "/apis/apps/v1/namespaces/default/daemonsets", False,
                  [("spec", "minReadySeconds"), ("spec", "revisionHistoryLimit"), ("spec", "updateStrategy", "rollingUpdate", "maxUnavailable"),
                   ("spec", "updateStrategy", "rollingUpdate", "maxSurge")] + POD_TEMPLATE_NUMBERS,
                  [("status", "numberReady"), ("status", "desiredNumberScheduled"), ("status", "collisionCount")]),
    "Job": (JOB, "/apis/batch/v1/namespaces/default/jobs", False,
            [("spec", "parallelism"), ("spec", "completions"), ("spec", "activeDeadlineSeconds"), ("spec", "backoffLimit"),
             ("spec", "ttlSecondsAfterFinished")] + POD_TEMPLATE_NUMBERS,
            [("status", "active"), ("status", "failed"), ("status", "succeeded"), ("status", "ready")]),
    "CronJob": (CRON, "/apis/batch/v1/namespaces/default/cronjobs", False,
                [("spec", "startingDeadlineSeconds"), ("spec", "successfulJobsHistoryLimit"), ("spec", "failedJobsHistoryLimit"),
                 ("spec", "jobTemplate", "spec", "parallelism"), ("spec", "jobTemplate", "spec", "activeDeadlineSeconds")],
                [("status", "lastScheduleTime")]),
    "Pod": (POD, "/api/v1/namespaces/default/pods", False,
            [("spec", "activeDeadlineSeconds"), ("spec", "terminationGracePeriodSeconds"), ("spec", "priority"),
             ("spec", "containers", 0, "ports", 0, "containerPort")],
            [("status", "containerStatuses", 0, "restartCount"), ("status", "startTime")]),
}
# Go's int64 and int32 edges and beyond, fractions, huge floats, and what is not a number. (No large valid count such as
# 2**31-1: a ReplicaSet of two billion pods is legitimately a lot of work, not a fault.)
NUMBERS = [2**63 - 1, -2**63, 2**63, 2**64, -2**63 - 1, 2**31, -2**31 - 1, -1, 0, 1.5, -0.5, 1e308, -1e308, 1e19, 9.9e15,
           "1", "x", "50%", "200%", "-5%", "9" * 30 + "%", None, True, [], {}]

WEIRD = [None, True, False, 0, -1, 2**63 - 1, -2**63, 2**64, 1e308, -0.0, 0.5, "", "x" * 70000, "ü\u0000\ud7ff", [], {},
         [None], {"": None}, "a" * 300, "-", "..", "a/b", "%", "1Gi", "*"]


def mutate(value, depth=0):
    if depth > 6 or rng.random() < 0.15:
        choice = rng.random()
        if choice < 0.6:
            return rng.choice(WEIRD)
        if choice < 0.8:
            nested = "leaf"
            for _ in range(rng.randint(1, 200)):
                nested = [nested] if rng.random() < 0.5 else {"k": nested}
            return nested
        return value
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            if rng.random() < 0.1:
                continue
            out[k if rng.random() > 0.05 else k + rng.choice(["", "x", "$patch", "\u00e9"])] = mutate(v, depth + 1)
        if rng.random() < 0.1:
            out[rng.choice(["extra", "$patch", "$retainKeys", "status", "metadata"])] = mutate("v", depth + 1)
        return out
    if isinstance(value, list):
        out = [mutate(v, depth + 1) for v in value if rng.random() > 0.1]
        if rng.random() < 0.2:
            out = out * rng.randint(2, 50)
        return out
    return value


def set_path(value, path, new):
    """A copy of value with new at path (lists grown and objects made as needed)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(value) if isinstance(value, list) else []
        while len(items) <= head:
            items.append({})
        items[head] = set_path(items[head], rest, new)
        return items
    out = dict(value) if isinstance(value, dict) else {}
    out[head] = set_path(out.get(head), rest, new)
    return out


def json_pointer(path):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def to_yaml(value):
    return json.dumps(value)  # JSON is YAML; flow style exercises the YAML parser too


last = {}


def numeric_request():
    """One workload kind with 1-3 numeric fields set to hostile numbers, through a random write path."""
    template, collection, scalable, spec_paths, status_paths = NUMERIC[rng.choice(list(NUMERIC))]
    name = template["metadata"]["name"]
    one = f"{collection}/{name}"
    choice = rng.random()
    if choice < 0.2:
        paths, target = status_paths, one + "/status"
    elif choice < 0.27 and scalable:
        value = rng.choice(NUMBERS)
        if rng.random() < 0.5:
            return request("PATCH", one + "/scale", json.dumps({"spec": {"replicas": value}}).encode(), "application/merge-patch+json")
        return request("PUT", one + "/scale", json.dumps({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": name},
                                                          "spec": {"replicas": value}}).encode(), "application/json")
    else:
        paths, target = spec_paths, one
    chosen = rng.sample(paths, rng.randint(1, min(3, len(paths))))
    body = template
    patch = {}
    for path in chosen:
        value = rng.choice(NUMBERS)
        body = set_path(body, path, value)
        patch = set_path(patch, path, value)
    how = rng.random()
    if how < 0.25 and target == one:
        return request("POST", collection, json.dumps(body).encode(), "application/json")
    if how < 0.4:
        return request("PUT", target, json.dumps(body).encode(), "application/json")
    if how < 0.6:
        return request("PATCH", target, json.dumps(patch).encode(), "application/merge-patch+json")
    if how < 0.7:
        return request("PATCH", target, json.dumps(patch).encode(), "application/strategic-merge-patch+json")
    if how < 0.85:
        ops = [{"op": rng.choice(["add", "replace"]), "path": json_pointer(path), "value": rng.choice(NUMBERS)} for path in chosen]
        return request("PATCH", target, json.dumps(ops).encode(), "application/json-patch+json")
    return request("PATCH", f"{target}?fieldManager=fuzz&force=true", to_yaml(body).encode(), "application/apply-patch+yaml")


# resourceVersions no store has: int64 and uint64 edges, negative, exponent and fraction forms, text, padding.
RESOURCE_VERSIONS = ["9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "-1",
                     "-9223372036854775808", "1e30", "1.5", "abc", "", "0", "00", " 1", "1 ", "+1", "0x10", "\u0661"]


def read_request():
    """A GET of one object, a LIST or a short WATCH of a kind, at a hostile resourceVersion."""
    collection, template = rng.choice(TARGETS)
    query = {"resourceVersion": rng.choice(RESOURCE_VERSIONS)}
    match = rng.choice([None, "NotOlderThan", "Exact", "bogus"])
    if match:
        query["resourceVersionMatch"] = match
    how = rng.random()
    if how < 0.3:
        path = f"{collection}/{(template.get('metadata') or {}).get('name', 'x')}"
    elif how < 0.6:
        path = collection
        if rng.random() < 0.5:
            query["limit"] = str(rng.choice([1, 2, 500]))
    else:
        path = collection
        query.update(watch="true", timeoutSeconds="1")
        if rng.random() < 0.3:
            query.update(sendInitialEvents="true", allowWatchBookmarks="true")
    return request("GET", f"{path}?{urllib.parse.urlencode(query)}", None, "application/json")


def request(method, path, body, content_type, accept="application/json"):
    last.update(method=method, path=path, content_type=content_type, body=body)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": content_type, "Accept": accept})
        response = conn.getresponse()
        last["response"] = response.read()
        return response.status
    finally:
        conn.close()


def proto_varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def proto_field(number, wire, payload):
    return proto_varint(number << 3 | wire) + payload


def proto_message(depth):
    """Random fields: numbers an object's messages use (1-40), every wire type, nested messages, hostile lengths."""
    out = b""
    for _ in range(rng.randint(0, 8)):
        number, draw = rng.randint(1, 40), rng.random()
        if draw < 0.3:
            out += proto_field(number, 0, proto_varint(rng.choice([0, 1, -1, 2**31, 2**63 - 1, -2**63, rng.getrandbits(64)])))
        elif draw < 0.4:
            out += proto_field(number, rng.choice([1, 5]), bytes(rng.randrange(256) for _ in range(rng.choice([4, 8]))))
        elif draw < 0.7 and depth > 0:
            inner = proto_message(depth - 1)
            out += proto_field(number, 2, proto_varint(len(inner)) + inner)
        elif draw < 0.95:
            text = rng.choice([b"", b"a", b"2026-12-04T04:40:05Z", b"5m0s", b"100Mi", b"{\"a\":1}", b"\xff\xfe", b"k8s\x00"])
            out += proto_field(number, 2, proto_varint(len(text)) + text)
        else:
            out += proto_field(number, 2, proto_varint(rng.choice([2**31, 2**63, 2**64 - 1])))
    return out


def proto_envelope(api_version, kind, raw):
    type_meta = proto_field(1, 2, proto_varint(len(api_version)) + api_version.encode()) + \
        proto_field(2, 2, proto_varint(len(kind)) + kind.encode())
    unknown = proto_field(1, 2, proto_varint(len(type_meta)) + type_meta) + proto_field(2, 2, proto_varint(len(raw)) + raw)
    return b"k8s\x00" + unknown


def unexpected(status):
    """A 5xx that is a failure. Upstream's one deliberate 5xx here: a watch from a resourceVersion the store has not
    reached is answered 504 Timeout with cause ResourceVersionTooLarge (the client is to retry)."""
    if status < 500:
        return False
    if status != 504:
        return True
    try:
        body = json.loads(last.get("response") or b"{}")
    except ValueError:
        return True
    causes = (body.get("details") or {}).get("causes") or []
    return not (body.get("reason") == "Timeout" and any(c.get("reason") == "ResourceVersionTooLarge" for c in causes))


deadline = time.time() + seconds
count = 0
failures = 0
by_status = {}
request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json.dumps(CRD).encode(), "application/json")
for template, collection, _, _, _ in NUMERIC.values():
    request("POST", collection, json.dumps(template).encode(), "application/json")
# First, for up to a third of the time, a sweep: every numeric field of every workload kind set to each int64/int32
# edge by merge patch, so that the run always reaches each field once, whatever the seed.
sweep = [(collection + "/" + template["metadata"]["name"] + ("/status" if path[0] == "status" else ""), path, value)
         for template, collection, _, spec_paths, status_paths in NUMERIC.values()
         for path in spec_paths + status_paths for value in (2**63 - 1, -2**63, 2**31, 1.5)]
sweep_deadline = time.time() + seconds / 3
for target, path, value in sweep:
    if time.time() > sweep_deadline:
        break
    try:
        status = request("PATCH", target, json.dumps(set_path({}, path, value)).encode(), "application/merge-patch+json")
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        print(f"FAIL: the server did not answer ({error}) after {count} requests; last: PATCH {target} {path} = {value}", flush=True)
        sys.exit(1)
    count += 1
    by_status[status] = by_status.get(status, 0) + 1
    if unexpected(status):
        failures += 1
        print(f"FAIL: {status} for PATCH {target} {path} = {value}", flush=True)
while time.time() < deadline:
    path, template = rng.choice(TARGETS)
    body_value = mutate(template)
    kind = rng.random()
    name = (template.get("metadata") or {}).get("name", "x")
    try:
        draw = rng.random()
        if draw < 0.4:
            path = "numeric fields of a workload"
            status = numeric_request()
        elif draw < 0.5:
            path = "read at a hostile resourceVersion"
            status = read_request()
        elif kind < 0.35:
            status = request("POST", path, json.dumps(body_value).encode(), "application/json")
        elif kind < 0.5:
            status = request("POST", path, to_yaml(body_value).encode(), "application/yaml")
        elif kind < 0.6:
            status = request("PUT", f"{path}/{name}", json.dumps(body_value).encode(), "application/json")
        elif kind < 0.7:
            status = request("PATCH", f"{path}/{name}", json.dumps(body_value).encode(), "application/merge-patch+json")
        elif kind < 0.77:
            status = request("PATCH", f"{path}/{name}", json.dumps(body_value).encode(), "application/strategic-merge-patch+json")
        elif kind < 0.84:
            ops = [{"op": rng.choice(["add", "remove", "replace", "move", "copy", "test", "bogus"]),
                    "path": rng.choice(["/spec", "/metadata/labels/a", "/spec/containers/0", "/x/y/z", "", "/~1/~0", "/spec/-"]),
                    "from": "/metadata", "value": mutate({"a": 1})} for _ in range(rng.randint(0, 5))]
            status = request("PATCH", f"{path}/{name}", json.dumps(ops).encode(), "application/json-patch+json")
        elif kind < 0.93:
            status = request("PATCH", f"{path}/{name}?fieldManager=fuzz&force={rng.choice(['true', 'false'])}",
                             to_yaml(body_value).encode(), "application/apply-patch+yaml")
        elif kind < 0.96:
            garbage = b"k8s\x00" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
            status = request("POST", path, garbage, "application/vnd.kubernetes.protobuf")
        else:
            # A well-formed envelope for the target's kind around random, mostly well-formed fields: the generated
            # field tables meet wrong wire types, hostile numbers and deep nesting. The answer is asked in protobuf.
            raw = proto_message(rng.randint(0, 6))
            typed = proto_envelope(template.get("apiVersion", "v1"), template.get("kind", ""), raw)
            method, target = rng.choice([("POST", path), ("PUT", f"{path}/{name}"), ("DELETE", f"{path}/{name}")])
            if method == "DELETE":
                typed = proto_envelope("meta.k8s.io/v1", "DeleteOptions", raw)
            status = request(method, target, typed, "application/vnd.kubernetes.protobuf",
                             accept="application/vnd.kubernetes.protobuf")
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        print(f"FAIL: the server did not answer ({error}) after {count} requests; seed {seed}", flush=True)
        print(f"  last: {last.get('method')} {last.get('path')} {last.get('content_type')} {len(last.get('body') or b'')} bytes: "
              f"{(last.get('body') or b'')[:300]!r}", flush=True)
        with open("/tmp/fuzz-last-body", "wb") as f:
            f.write(last.get("body") or b"")
        sys.exit(1)
    count += 1
    by_status[status] = by_status.get(status, 0) + 1
    if unexpected(status):
        failures += 1
        print(f"FAIL: {status} for a {path} request (#{count}); seed {seed}", flush=True)
print(f"{count} requests, {failures} answered an unexpected 5xx; by status: {dict(sorted(by_status.items()))}", flush=True)
# What was stored is now in the controllers' hands: the server must stay there and ready. An object that makes a
# controller trap takes the whole process down a pass after it was written (or after a retry's backoff), so /readyz is
# asked again and again for a few seconds, not once right after the last write.
settle_deadline = time.time() + 5
checks = 0
while True:
    try:
        ready = request("GET", "/readyz", None, "application/json")
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        ready = error
    checks += 1
    if ready != 200:
        print(f"FAIL: /readyz {time.time() - settle_deadline + 5:.1f}s after the run (check {checks}): {ready}; seed {seed}", flush=True)
        sys.exit(1)
    if time.time() >= settle_deadline:
        break
    time.sleep(0.25)
print(f"/readyz answered 200 {checks} times over 5 s after the run", flush=True)
sys.exit(1 if failures else 0)
