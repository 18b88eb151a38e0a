import KubeJSON

/// Probes a component's health endpoint for core/v1 ComponentStatus (no server verification, as upstream's probe).
public protocol ComponentProber: Sendable {
    /// GET `https://host:port/path`; nil when healthy (HTTP 200), else the error text upstream would show.
    func probe(host: String, port: Int, path: String) async -> String?
}

/// core/v1 ComponentStatus (deprecated upstream since 1.19, still served): computed on each read from the
/// scheduler's and controller-manager's `/healthz` on this host and the storage's own health check.
extension ResourceHandler {
    func componentStatuses(_ media: MediaType) async throws -> APIResponse {
        guard info.verb == "get" || info.verb == "list" else {
            throw StatusError.methodNotSupported(def.groupResource, info.verb)
        }
        var statuses: [JSONValue] = []
        for (name, port) in [("scheduler", 10259), ("controller-manager", 10257)] where info.name.isEmpty || info.name == name {
            let error: String?
            if let prober = server.componentProber {
                error = await prober.probe(host: "127.0.0.1", port: port, path: "/healthz")
            } else {
                error = "no component prober is configured"
            }
            statuses.append(Self.componentStatus(name, error: error))
        }
        if info.name.isEmpty || info.name == "etcd-0" {
            var failure: String?
            do { try await server.storage.healthCheck() } catch { failure = "\(error)" }
            statuses.append(Self.componentStatus("etcd-0", error: failure))
        }
        let warning = "v1 ComponentStatus is deprecated in v1.19+"
        if !info.name.isEmpty {
            guard let status = statuses.first else { throw StatusError.notFound(def.groupResource, info.name) }
            return try await respond(status, media: media, warnings: [warning])
        }
        var response: APIResponse
        if media.form == .table {
            response = .json(TableConverter(definition: def, includeObject: query["includeObject"], version: media.tableVersion).table(statuses))
        } else {
            response = .json(["apiVersion": "v1", "kind": "ComponentStatusList", "metadata": [:], "items": .array(statuses)])
        }
        response.headers.append(("warning", "299 - \"\(warning)\""))
        return response
    }

    static func componentStatus(_ name: String, error: String?) -> JSONValue {
        var condition: JSONValue = ["type": "Healthy", "status": error == nil ? "True" : "False"]
        if let error { condition["error"] = .string(error) } else { condition["message"] = "ok" }
        return ["apiVersion": "v1", "kind": "ComponentStatus", "metadata": ["name": .string(name)], "conditions": [condition]]
    }
}
