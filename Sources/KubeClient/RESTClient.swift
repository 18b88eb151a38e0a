import KubeJSON

/// The Kubernetes REST protocol over a transport: paths, query parameters, JSON bodies, Status errors, watch
/// frames, and client-go's rate limit in front of every request (watches included, as client-go counts them).
public struct RESTClient: KubernetesClient {
    public let transport: any APITransport
    let limiter: TokenBucket

    public init(transport: any APITransport, qps: Double = 20, burst: Int = 30) {
        self.transport = transport
        limiter = TokenBucket(qps: qps, burst: burst)
    }

    /// A client over the HTTP/2 connection `config` describes.
    public init(config: ClientConfig) throws {
        self.init(transport: try HTTP2Transport(config: config), qps: config.qps, burst: config.burst)
    }

    private func uri(_ path: String, _ query: [(String, String)]) -> String {
        query.isEmpty ? path : path + "?" + PathEscaping.query(query)
    }

    private func call(_ method: String, _ uri: String, body: JSONValue? = nil, contentType: String = "application/json") async throws -> JSONValue {
        await limiter.acquire()
        var headers = [("accept", "application/json")]
        if body != nil { headers.append(("content-type", contentType)) }
        let response = try await transport.send(TransportRequest(method: method, uri: uri, headers: headers,
                                                                 body: body.map { JSONWriter.write($0) } ?? []))
        guard (200..<300).contains(response.status) else { throw APIError(code: response.status, body: response.body) }
        do {
            return try JSONParser.parse(response.body)
        } catch {
            throw APIError(code: 500, reason: "InternalError", message: "\(method) \(uri): the response is not JSON: \(error)")
        }
    }

    /// Built-in lists leave `kind` and `apiVersion` out of their items; controllers name owners by them.
    private static func typed(_ object: JSONValue, _ resource: ResourceType) -> JSONValue {
        guard case .object(var fields) = object else { return object }
        if fields["kind"] == nil { fields["kind"] = .string(resource.kind) }
        if fields["apiVersion"] == nil { fields["apiVersion"] = .string(resource.apiVersion) }
        return .object(fields)
    }

    public func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        let list = try await call("GET", uri(resource.path(namespace: namespace), options.queryItems))
        let items = (list["items"]?.array ?? []).map { Self.typed($0, resource) }
        let continueToken = list[path: ["metadata", "continue"]]?.string
        return ObjectList(items: items, resourceVersion: list[path: ["metadata", "resourceVersion"]]?.string ?? "",
                          continueToken: continueToken?.isEmpty == false ? continueToken : nil)
    }

    public func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        await limiter.acquire()
        var query = options.queryItems
        query.append(("watch", "true"))
        let stream = try await transport.stream(TransportRequest(method: "GET", uri: uri(resource.path(namespace: namespace), query),
                                                                 headers: [("accept", "application/json")]))
        guard (200..<300).contains(stream.status) else { throw APIError(code: stream.status, body: stream.errorBody) }
        let chunks = stream.chunks
        return AsyncThrowingStream { continuation in
            let task = Task {
                var frames = LineFrames()
                do {
                    for try await chunk in chunks {
                        for line in frames.append(chunk) {
                            let event = try JSONParser.parse(line)
                            guard let type = event["type"]?.string.flatMap(WatchEvent.EventType.init(rawValue:)) else {
                                throw APIError(code: 500, reason: "InternalError", message: "watch of \(resource): an event without a known type")
                            }
                            let object = event["object"] ?? .null
                            if type == .error { throw APIError(status: object) }
                            continuation.yield(WatchEvent(type: type, object: type == .bookmark ? object : Self.typed(object, resource)))
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        Self.typed(try await call("GET", resource.path(namespace: namespace, name: name, subresource: subresource)), resource)
    }

    public func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        let path: String
        if let subresource {
            path = resource.path(namespace: namespace, name: object[path: ["metadata", "name"]]?.string ?? "", subresource: subresource)
        } else {
            path = resource.path(namespace: namespace)
        }
        return try await call("POST", path, body: object)
    }

    public func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        let name = object[path: ["metadata", "name"]]?.string ?? ""
        return Self.typed(try await call("PUT", resource.path(namespace: namespace, name: name, subresource: subresource), body: object), resource)
    }

    public func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
                      subresource: String?) async throws -> JSONValue {
        var query: [(String, String)] = []
        if type == .apply { query.append(("fieldManager", "kubestrap")) }
        return Self.typed(try await call("PATCH", uri(resource.path(namespace: namespace, name: name, subresource: subresource), query),
                                         body: body, contentType: type.rawValue), resource)
    }

    public func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws {
        _ = try await call("DELETE", resource.path(namespace: namespace, name: name), body: options.body)
    }

    public func serverResources() async throws -> [DiscoveredResource] {
        var found: [DiscoveredResource] = []
        let core = try await call("GET", "/api/v1")
        found += Self.resources(core, group: "", version: "v1")
        let groups = try await call("GET", "/apis")
        for group in groups["groups"]?.array ?? [] {
            guard let name = group["name"]?.string, let version = group[path: ["preferredVersion", "version"]]?.string else { continue }
            do {
                found += Self.resources(try await call("GET", "/apis/\(name)/\(version)"), group: name, version: version)
            } catch let error as APIError where error.code == 503 || error.isNotFound {
                // An aggregated group whose backend is away: its resources are skipped this time, as client-go does.
                continue
            }
        }
        return found
    }

    static func resources(_ list: JSONValue, group: String, version: String) -> [DiscoveredResource] {
        (list["resources"]?.array ?? []).compactMap { r in
            guard let name = r["name"]?.string, !name.contains("/"), let kind = r["kind"]?.string else { return nil }
            let verbs = Set((r["verbs"]?.array ?? []).compactMap(\.string))
            return DiscoveredResource(type: ResourceType(group: group, version: version, resource: name, kind: kind,
                                                         namespaced: r["namespaced"]?.bool ?? false), verbs: verbs)
        }
    }
}

/// Splits a watch body into its newline-terminated JSON events, across chunk boundaries.
struct LineFrames {
    private var pending: [UInt8] = []

    mutating func append(_ chunk: [UInt8]) -> [[UInt8]] {
        pending += chunk
        var lines: [[UInt8]] = []
        var start = 0
        while let newline = pending[start...].firstIndex(of: 10) {
            if newline > start { lines.append(Array(pending[start..<newline])) }
            start = newline + 1
        }
        pending.removeFirst(start)
        return lines
    }
}
