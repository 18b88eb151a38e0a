import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

// Load generator for the kube-apiserver (issue acceptance 7): starts the server on a fresh data dir, measures
// start-to-ready and idle RSS, then GET / LIST(100) / CREATE with 8 and 64 clients (one TLS connection each) and
// watch delivery latency (create response → event), printing a Markdown table.
//
// usage: apiserver-bench <kube-apiserver> <pki-dir> <admin.crt> <admin.key> [seconds-per-phase]

let args = CommandLine.arguments
guard args.count >= 5 else {
    FileHandle.standardError.write(Data("usage: apiserver-bench <kube-apiserver> <pki-dir> <admin.crt> <admin.key> [seconds]\n".utf8))
    exit(2)
}
let binary = args[1], pki = args[2], cert = args[3], key = args[4]
let phaseSeconds = args.count > 5 ? Double(args[5]) ?? 10 : 10
let port = 20000 + Int.random(in: 0..<20000)
let dataDir = NSTemporaryDirectory() + "apiserver-bench-" + UUID().uuidString
let tls = try BenchClient.tlsContext(ca: "\(pki)/ca.crt", cert: cert, key: key)
let tlsH2 = try BenchClient.tlsContext(ca: "\(pki)/ca.crt", cert: cert, key: key, alpn: ["h2"])

// MARK: start and idle

let server = Process()
server.executableURL = URL(fileURLWithPath: binary)
server.arguments = ["--advertise-address=127.0.0.1", "--bind-address=127.0.0.1", "--secure-port=\(port)",
                    "--tls-cert-file=\(pki)/apiserver.crt", "--tls-private-key-file=\(pki)/apiserver.key",
                    "--client-ca-file=\(pki)/ca.crt", "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction",
                    "--service-cluster-ip-range=10.96.0.0/12", "--data-dir=\(dataDir)"]
    // Storage flags from bench/apiserver.sh --etcd (the embedded store under --data-dir otherwise).
    + (ProcessInfo.processInfo.environment["KUBE_APISERVER_EXTRA_ARGS"] ?? "").split(separator: " ").map(String.init)
server.standardError = FileHandle(forWritingAtPath: "/dev/null")
let started = now()
try server.run()
var ready = Double.nan
while now() - started < 30 {
    if let ch = try? await BenchClient.connect(port: port, tls: tls) {
        let ok: Bool = (try? await ch.executeThenClose { inbound, outbound in
            var it = inbound.makeAsyncIterator()
            return try await BenchClient.request(.GET, "/readyz", iterator: &it, outbound: outbound).0 == 200
        }) ?? false
        if ok { ready = now() - started; break }
    }
    try await Task.sleep(nanoseconds: 2_000_000)
}
try await Task.sleep(nanoseconds: 2_000_000_000)
let idleRSS = rssMiB(pid: server.processIdentifier)
print("| figure | value |\n|---|---|")
print(String(format: "| process start → first 200 on /readyz | %.0f ms |", ready * 1000))
print(String(format: "| RSS idle after start | %.1f MiB |", idleRSS))

// MARK: fixtures

let ns = "bench"
@Sendable func cmBody(_ name: String, _ i: Int) -> [UInt8] {
    Array(#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"\#(name)","labels":{"bench":"yes"}},"data":{"key":"value-\#(i)","other":"some configuration text of a typical small size"}}"#.utf8)
}
let setup = try await BenchClient.connect(port: port, tls: tls)
try await setup.executeThenClose { inbound, outbound in
    var it = inbound.makeAsyncIterator()
    _ = try await BenchClient.request(.POST, "/api/v1/namespaces", body: Array(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}}"#.utf8), iterator: &it, outbound: outbound)
    _ = try await BenchClient.request(.POST, "/api/v1/namespaces", body: Array(#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"listns"}}"#.utf8), iterator: &it, outbound: outbound)
    for i in 0..<100 {
        _ = try await BenchClient.request(.POST, "/api/v1/namespaces/listns/configmaps", body: cmBody("cm-\(String(format: "%04d", i))", i), iterator: &it, outbound: outbound)
    }
    _ = try await BenchClient.request(.POST, "/api/v1/namespaces/\(ns)/configmaps", body: cmBody("cm-0000", 0), iterator: &it, outbound: outbound)
}

// MARK: phases

final class Recorder: Sendable {
    let latencies = Mutex<[Double]>([])
    let failures = Mutex<Int>(0)
    let completed = Mutex<[String: Double]>([:])
}

func runPhase(_ name: String, clients: Int, recorder: Recorder, perClientRate: Double? = nil, protocol proto: BenchProtocol = .http1,
              _ make: @escaping @Sendable (Int, Int) -> (HTTPMethod, String, [UInt8]?, String?)) async throws -> Double {
    let deadline = now() + phaseSeconds
    let cpuBefore = cpuSeconds(pid: server.processIdentifier)
    let begin = now()
    try await withThrowingTaskGroup(of: Void.self) { group in
        for c in 0..<clients {
            group.addTask {
                let connection = try await proto.connect(port: port, tls: proto == .http2 ? tlsH2 : tls)
                var i = 0
                var local: [Double] = []
                let first = now()
                while now() < deadline {
                    if let rate = perClientRate {
                        let due = first + Double(i) / rate
                        if due > now() { try await Task.sleep(nanoseconds: UInt64((due - now()) * 1e9)) }
                    }
                    let (method, uri, body, createdName) = make(c, i)
                    let t0 = now()
                    let (status, _) = try await connection.request(method, uri, body: body)
                    let t1 = now()
                    local.append(t1 - t0)
                    if status >= 300 { recorder.failures.withLock { $0 += 1 } }
                    if let createdName { recorder.completed.withLock { $0[createdName] = t1 } }
                    i += 1
                }
                await connection.close()
                recorder.latencies.withLock { $0 += local }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = now() - begin
    let cpu = cpuSeconds(pid: server.processIdentifier) - cpuBefore
    let sorted = recorder.latencies.withLock { $0 }.sorted()
    let failures = recorder.failures.withLock { $0 }
    print(String(format: "| %@ | %@ | %d | %.0f | %.1f | %.1f | %.2f | %d |", name, proto.rawValue, clients, Double(sorted.count) / elapsed,
                 percentile(sorted, 0.5) * 1000, percentile(sorted, 0.99) * 1000, cpu / elapsed, failures))
    return elapsed
}

print("\n| phase | protocol | clients | req/s | p50 ms | p99 ms | apiserver CPU (cores) | failed |\n|---|---|---|---|---|---|---|---|")
let protocols = (ProcessInfo.processInfo.environment["BENCH_PROTOCOLS"] ?? "http/1.1,h2").split(separator: ",").compactMap { BenchProtocol(rawValue: String($0)) }
for proto in protocols {
    for clients in [8, 64] {
        _ = try await runPhase("get", clients: clients, recorder: Recorder(), protocol: proto) { _, _ in (.GET, "/api/v1/namespaces/\(ns)/configmaps/cm-0000", nil, nil) }
    }
    for clients in [8, 64] {
        _ = try await runPhase("list (100 items)", clients: clients, recorder: Recorder(), protocol: proto) { _, _ in (.GET, "/api/v1/namespaces/listns/configmaps", nil, nil) }
    }
    // HTTP/1.1 creates are measured below, with a watcher following them.
    for clients in [8, 64] where proto == .http2 {
        let prefix = "h2c\(clients)-"
        _ = try await runPhase("create", clients: clients, recorder: Recorder(), protocol: proto) { c, i in
            (.POST, "/api/v1/namespaces/\(ns)/configmaps", cmBody("\(prefix)\(c)-\(i)", i), nil)
        }
    }
}
if ProcessInfo.processInfo.environment["BENCH_SKIP_WATCH"] != nil {
    server.terminate()
    server.waitUntilExit()
    try? FileManager.default.removeItem(atPath: dataDir)
    exit(0)
}
var watchLines: [String] = []
for (clients, paced) in [(8, true), (8, false), (64, false)] {
    // A watcher on the namespace while the clients create; latency = event arrival − create response.
    let recorder = Recorder()
    let arrivals = Mutex<[String: Double]>([:])
    let prefix = paced ? "p\(clients)-" : "w\(clients)-"
    let reconnects = Mutex<Int>(0)
    // Watch from the resourceVersion of a list, as a reflector does (and as the upstream baseline was measured).
    @Sendable func listRV() async throws -> String {
        let ch = try await BenchClient.connect(port: port, tls: tls)
        return try await ch.executeThenClose { inbound, outbound in
            var it = inbound.makeAsyncIterator()
            let (_, body) = try await BenchClient.request(.GET, "/api/v1/namespaces/\(ns)/configmaps?limit=1", iterator: &it, outbound: outbound)
            let json = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
            return (json?["metadata"] as? [String: Any])?["resourceVersion"] as? String ?? "0"
        }
    }
    let startRV = try await listRV()
    let watcher = Task {
        // Like a reflector: when the server ends the watch (e.g. this client fell too far behind), resume from the
        // last resourceVersion seen; nothing may be missed or duplicated across the reconnect.
        var lastRV = startRV
        while !Task.isCancelled {
            let ch = try await BenchClient.connect(port: port, tls: tls)
            try await ch.executeThenClose { inbound, outbound in
                try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET,
                                                               uri: "/api/v1/namespaces/\(ns)/configmaps?watch=1&resourceVersion=\(lastRV)&labelSelector=bench%3Dyes",
                                                               headers: HTTPHeaders([("host", "127.0.0.1")]))))
                try await outbound.write(.end(nil))
                var pending: [UInt8] = []
                for try await part in inbound {
                    guard case .body(var buffer) = part else { continue }
                    let t = now()
                    pending += buffer.readBytes(length: buffer.readableBytes) ?? []
                    var start = 0
                    defer { pending.removeFirst(start) }
                    while let nl = pending[start...].firstIndex(of: 10) {
                        let line = String(decoding: pending[start..<nl], as: UTF8.self)
                        start = nl + 1
                        if line.hasPrefix("{\"type\":\"ERROR\"") {
                            lastRV = try await listRV()   // 410 Gone: relist, as a reflector does
                            continue
                        }
                        // The object's own metadata.resourceVersion (keys are sorted: metadata follows data).
                        if let m = line.range(of: "\"metadata\":{"), let r = line[m.upperBound...].range(of: "\"resourceVersion\":\"") {
                            lastRV = String(line[r.upperBound...].prefix { $0 != "\"" })
                        }
                        if let r = line.range(of: "\"name\":\"\(prefix)") {
                            let rest = line[r.upperBound...]
                            let name = prefix + String(rest.prefix { $0 != "\"" })
                            arrivals.withLock { if $0[name] == nil { $0[name] = t } }
                        }
                    }
                }
            }
            reconnects.withLock { $0 += 1 }
        }
    }
    try await Task.sleep(nanoseconds: 300_000_000)
    _ = try await runPhase(paced ? "create, paced 100/s" : "create", clients: clients, recorder: recorder,
                           perClientRate: paced ? 100 / Double(clients) : nil) { c, i in
        let name = "\(prefix)\(c)-\(i)"
        return (.POST, "/api/v1/namespaces/\(ns)/configmaps", cmBody(name, i), name)
    }
    let settle = now() + 5
    while now() < settle, arrivals.withLock({ $0.count }) < recorder.completed.withLock({ $0.count }) {
        try await Task.sleep(nanoseconds: 10_000_000)
    }
    watcher.cancel()
    // Let the server finish what the phase left queued before the next one starts.
    try await Task.sleep(nanoseconds: 2_000_000_000)
    let completed = recorder.completed.withLock { $0 }
    let seen = arrivals.withLock { $0 }
    let delays = completed.compactMap { name, t in seen[name].map { $0 - t } }.sorted()
    let missed = completed.count - delays.count
    watchLines.append(String(format: "| watch delivery, writers %@ | %d | %.2f | %.2f | %d of %d | %d |",
                             paced ? "paced 100/s" : "closed-loop", clients,
                             percentile(delays, 0.5) * 1000, percentile(delays, 0.99) * 1000, missed, completed.count,
                             reconnects.withLock { $0 }))
}
print("\n| phase | clients | p50 ms | p99 ms | events missed | watch reconnects |\n|---|---|---|---|---|---|")
for line in watchLines { print(line) }
print(String(format: "\nRSS after the load: %.1f MiB", rssMiB(pid: server.processIdentifier)))
server.terminate()
server.waitUntilExit()
try? FileManager.default.removeItem(atPath: dataDir)
