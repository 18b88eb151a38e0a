#!/usr/bin/env python3
"""A tiny aggregated API server for trying the aggregation layer by hand.

usage: sample-apiserver.py PORT CERT KEY FRONT_PROXY_CA

Serves wardle.example.com/v1alpha1 (one namespaced kind, Flunder) over HTTPS on 127.0.0.1:PORT, requires a client
certificate signed by FRONT_PROXY_CA (the kube-apiserver's --proxy-client-cert-file), and prints for every request the
client certificate's CN and the X-Remote-* / Authorization headers it received.
"""
import json
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GV = "wardle.example.com/v1alpha1"
RESOURCES = {
    "kind": "APIResourceList", "apiVersion": "v1", "groupVersion": GV,
    "resources": [
        {"name": "flunders", "singularName": "flunder", "namespaced": True, "kind": "Flunder", "shortNames": ["fl"],
         "verbs": ["get", "list"]},
    ],
}
FLUNDERS = [{"kind": "Flunder", "apiVersion": GV,
             "metadata": {"name": "my-flunder", "namespace": "default", "creationTimestamp": "2026-01-01T00:00:00Z"}}]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        cert = self.connection.getpeercert() or {}
        cn = next((v for rdn in cert.get("subject", ()) for (k, v) in rdn if k == "commonName"), None)
        seen = [(k, v) for k, v in self.headers.items() if k.lower().startswith("x-remote-") or k.lower() == "authorization"]
        print(f"{self.command} {self.path} client-cn={cn} {seen}", flush=True)
        path = self.path.split("?")[0]
        if path == f"/apis/{GV}":
            return self.send(200, RESOURCES)
        if path in (f"/apis/{GV}/flunders", f"/apis/{GV}/namespaces/default/flunders") and "watch=true" in self.path:
            return self.watch()
        if path in (f"/apis/{GV}/flunders", f"/apis/{GV}/namespaces/default/flunders"):
            return self.send(200, {"kind": "FlunderList", "apiVersion": GV, "metadata": {"resourceVersion": "1"}, "items": FLUNDERS})
        if path == f"/apis/{GV}/namespaces/default/flunders/my-flunder":
            return self.send(200, FLUNDERS[0])
        self.send(404, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404,
                        "message": "the server could not find the requested resource"})

    def watch(self):
        """Two events a second apart, chunked: a proxy that buffers shows both at once."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for i in range(2):
            item = dict(FLUNDERS[0], metadata=dict(FLUNDERS[0]["metadata"], name=f"flunder-{i}", resourceVersion=str(2 + i)))
            data = (json.dumps({"type": "ADDED", "object": item}) + "\n").encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            time.sleep(1)
        self.wfile.write(b"0\r\n\r\n")

    def send(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def main():
    port, cert, key, client_ca = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.load_verify_locations(client_ca)
    context.verify_mode = ssl.CERT_REQUIRED
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    print(f"serving {GV} on https://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
