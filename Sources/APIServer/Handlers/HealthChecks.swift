import KubeStorage

/// /livez, /readyz and /healthz with upstream's per-check lines (`[+]ping ok`), `?verbose`, `?exclude=` and
/// `/<endpoint>/<check>`.
actor HealthChecks {
    private var checks: [(String, Bool)] = [("ping", true), ("log", true)]
    private var shuttingDown = false

    func set(_ name: String, ok: Bool) {
        if let i = checks.firstIndex(where: { $0.0 == name }) { checks[i].1 = ok } else { checks.append((name, ok)) }
    }

    func setShuttingDown() { shuttingDown = true }

    func serve(endpoint: String, path: String, query: QueryParameters, storage: any StorageBackend) async -> APIResponse {
        var results = checks
        if let i = results.firstIndex(where: { $0.0 == "etcd" }) {
            results[i].1 = (try? await storage.healthCheck()) != nil
        }
        if endpoint == "/readyz" { results.append(("shutdown", !shuttingDown)) }
        if endpoint == "/livez" { results.removeAll { $0.0 == "informer-sync" } }
        let single = path.count > endpoint.count ? String(path.dropFirst(endpoint.count + 1)) : nil
        if let single {
            guard let check = results.first(where: { $0.0 == single }) else {
                return .text("404 page not found\n", status: 404)
            }
            return check.1 ? .text("ok") : .text("internal server error: \(single) check failed\n", status: 500)
        }
        let excluded = Set((query["exclude"] ?? "").split(separator: ",").map(String.init))
        let considered = results.filter { !excluded.contains($0.0) }
        let ok = considered.allSatisfy(\.1)
        let name = endpoint.dropFirst()
        if query.has("verbose") || !ok {
            var text = considered.map { $0.1 ? "[+]\($0.0) ok" : "[-]\($0.0) failed: reason withheld" }.joined(separator: "\n") + "\n"
            for e in excluded.sorted() { text += "[+]\(e) excluded: ok\n" }
            text += ok ? "\(name) check passed\n" : "\(name) check failed\n"
            return .text(text, status: ok ? 200 : 500)
        }
        return .text("ok")
    }
}
