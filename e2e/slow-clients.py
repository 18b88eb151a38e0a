#!/usr/bin/env python3
"""Half-open and slow clients against a running kube-apiserver: the server must close them within its deadlines
(upstream: 32 s for the TLS handshake and for a request head) while normal requests keep working.

usage: slow-clients.py HOST PORT CA CERT KEY [handshakes=500] [slow_headers=200] [limit_seconds=40]

Opens HANDSHAKES TCP connections that send half a TLS ClientHello and stop, and SLOW_HEADERS TLS connections that
send an HTTP/1.1 request head one byte every 2 s. Meanwhile it sends a normal GET every second and fails if one
fails or takes more than 5 s. Exits 0 when the server closed every slow connection within LIMIT_SECONDS.
"""
import select
import socket
import ssl
import sys
import threading
import time

host, port, ca, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
handshakes = int(sys.argv[6]) if len(sys.argv) > 6 else 500
slow_headers = int(sys.argv[7]) if len(sys.argv) > 7 else 200
limit = float(sys.argv[8]) if len(sys.argv) > 8 else 40.0

context = ssl.create_default_context(cafile=ca)
context.load_cert_chain(cert, key)
context.set_alpn_protocols(["http/1.1"])

# A ClientHello cut in half: the server waits for the rest.
probe = ssl.MemoryBIO(), ssl.MemoryBIO()
hello_obj = context.wrap_bio(probe[0], probe[1], server_hostname=host)
try:
    hello_obj.do_handshake()
except ssl.SSLWantReadError:
    pass
hello = probe[1].read()
partial_hello = hello[: len(hello) // 2]

start = time.time()
half_open = []
for _ in range(handshakes):
    s = socket.create_connection((host, port))
    s.sendall(partial_hello)
    s.setblocking(False)
    half_open.append(s)

slow = []
for _ in range(slow_headers):
    raw = socket.create_connection((host, port))
    s = context.wrap_socket(raw, server_hostname=host)
    s.setblocking(False)
    slow.append(s)
request = b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nUser-Agent: slow\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n"
print(f"opened {len(half_open)} half-open handshakes and {len(slow)} slow-header connections in {time.time() - start:.1f}s",
      flush=True)

failures = []
stop = threading.Event()


def normal_requests():
    import http.client
    while not stop.is_set():
        t0 = time.time()
        try:
            c = http.client.HTTPSConnection(host, port, context=context, timeout=5)
            c.request("GET", "/api/v1/namespaces/default")
            r = c.getresponse()
            r.read()
            c.close()
            if r.status != 200:
                failures.append(f"GET answered {r.status}")
        except Exception as e:  # noqa: BLE001 - any failure is the finding
            failures.append(f"GET failed after {time.time() - t0:.1f}s: {e}")
        stop.wait(1)


checker = threading.Thread(target=normal_requests)
checker.start()


def closed(s):
    """True once the server closed the connection (EOF or reset on read). Sockets are non-blocking: a TLS record
    that is not application data (a session ticket) makes the socket readable without anything to return."""
    try:
        r, _, _ = select.select([s], [], [], 0)
        if not r:
            return False
        return s.recv(4096) == b""
    except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
        return False
    except (ConnectionError, ssl.SSLError, OSError):
        return True


open_half = list(half_open)
open_slow = list(slow)
offset = 0
closed_at = {}
while (open_half or open_slow) and time.time() - start < limit:
    # one more byte of the head on every slow connection that is still open
    for s in list(open_slow):
        try:
            if offset < len(request):
                s.send(request[offset:offset + 1])
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
        except (ConnectionError, ssl.SSLError, OSError):
            pass
    offset += 1
    deadline = time.time() + 2
    while time.time() < deadline:
        for group in (open_half, open_slow):
            for s in list(group):
                if closed(s):
                    group.remove(s)
                    closed_at.setdefault("first", time.time() - start)
                    closed_at["last"] = time.time() - start
        time.sleep(0.1)
    print(f"t={time.time() - start:5.1f}s still open: {len(open_half)} half-open, {len(open_slow)} slow-header", flush=True)

stop.set()
checker.join()
print(f"closed by the server: first at {closed_at.get('first', float('nan')):.1f}s, last at {closed_at.get('last', float('nan')):.1f}s")
ok = not open_half and not open_slow and not failures
for f in failures[:10]:
    print("normal request:", f)
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
