#!/usr/bin/env python3
"""Throws malformed and mutated requests at a running kube-apiserver and fails on any 5xx answer or a dead server.

usage: e2e/fuzz-apiserver.py BASE_URL CA CERT KEY [seconds] [seed]
  e.g. e2e/fuzz-apiserver.py https://127.0.0.1:6443 /etc/kubernetes/pki/ca.crt admin.crt admin.key 60

Bodies are valid objects of the served kinds mutated at random (types swapped, fields dropped or duplicated, huge,
deep, unicode and boundary values), sent as JSON, YAML, merge/JSON/strategic/apply patches and protobuf garbage.
Only the standard library is used. The seed is printed so a failure can be replayed.
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
TOKEN = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 3600}}
REVIEW = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
          "spec": {"resourceAttributes": {"verb": "get", "resource": "pods"}}}

TARGETS = [
    ("/api/v1/namespaces/default/pods", POD), ("/api/v1/namespaces/default/configmaps", CM),
    ("/api/v1/namespaces/default/services", SVC), ("/apis/apps/v1/namespaces/default/deployments", DEPLOY),
    ("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD), ("/apis/f.io/v1/namespaces/default/fuzzes", CR),
    ("/api/v1/namespaces/default/serviceaccounts/default/token", TOKEN),
    ("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", REVIEW),
]

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


def to_yaml(value):
    return json.dumps(value)  # JSON is YAML; flow style exercises the YAML parser too


last = {}


def request(method, path, body, content_type):
    last.update(method=method, path=path, content_type=content_type, body=body)
    conn = http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": content_type, "Accept": "application/json"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


deadline = time.time() + seconds
count = 0
failures = 0
by_status = {}
request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", json.dumps(CRD).encode(), "application/json")
while time.time() < deadline:
    path, template = rng.choice(TARGETS)
    body_value = mutate(template)
    kind = rng.random()
    name = (template.get("metadata") or {}).get("name", "x")
    try:
        if kind < 0.35:
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
        else:
            garbage = b"k8s\x00" + bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))
            status = request("POST", path, garbage, "application/vnd.kubernetes.protobuf")
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        print(f"FAIL: the server did not answer ({error}) after {count} requests; seed {seed}", flush=True)
        print(f"  last: {last.get('method')} {last.get('path')} {last.get('content_type')} {len(last.get('body') or b'')} bytes: "
              f"{(last.get('body') or b'')[:300]!r}", flush=True)
        with open("/tmp/fuzz-last-body", "wb") as f:
            f.write(last.get("body") or b"")
        sys.exit(1)
    count += 1
    by_status[status] = by_status.get(status, 0) + 1
    if status >= 500:
        failures += 1
        print(f"FAIL: {status} for a {path} request (#{count}); seed {seed}", flush=True)
print(f"{count} requests, {failures} answered 5xx; by status: {dict(sorted(by_status.items()))}", flush=True)
sys.exit(1 if failures else 0)
