import KubeJSON

/// What a controller asks of the API (client-go's dynamic client): objects as JSON, addressed by resource. The
/// real implementation is `RESTClient`; tests use `FakeClient`.
public protocol KubernetesClient: Sendable {
    func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList
    /// A watch from `options.resourceVersion`; the stream ends when the server ends the watch and throws
    /// `APIError` for an ERROR event (410 Gone when the version is too old).
    func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error>
    func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue
    func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue
    func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue
    func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
               subresource: String?) async throws -> JSONValue
    func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws
    /// Every resource the server serves with its verbs (discovery), for controllers that follow all kinds.
    func serverResources() async throws -> [DiscoveredResource]
}

public struct ListOptions: Sendable, Equatable {
    public var labelSelector: String?
    public var fieldSelector: String?
    public var resourceVersion: String?
    public var limit: Int?
    public var continueToken: String?
    public var timeoutSeconds: Int?
    public var allowWatchBookmarks: Bool

    public init(labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
                limit: Int? = nil, continueToken: String? = nil, timeoutSeconds: Int? = nil, allowWatchBookmarks: Bool = false) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.limit = limit
        self.continueToken = continueToken
        self.timeoutSeconds = timeoutSeconds
        self.allowWatchBookmarks = allowWatchBookmarks
    }

    var queryItems: [(String, String)] {
        var items: [(String, String)] = []
        if let labelSelector, !labelSelector.isEmpty { items.append(("labelSelector", labelSelector)) }
        if let fieldSelector, !fieldSelector.isEmpty { items.append(("fieldSelector", fieldSelector)) }
        if let resourceVersion { items.append(("resourceVersion", resourceVersion)) }
        if let limit, limit > 0 { items.append(("limit", String(limit))) }
        if let continueToken, !continueToken.isEmpty { items.append(("continue", continueToken)) }
        if let timeoutSeconds { items.append(("timeoutSeconds", String(timeoutSeconds))) }
        if allowWatchBookmarks { items.append(("allowWatchBookmarks", "true")) }
        return items
    }
}

public struct ObjectList: Sendable {
    public var items: [JSONValue]
    public var resourceVersion: String
    public var continueToken: String?

    public init(items: [JSONValue], resourceVersion: String, continueToken: String? = nil) {
        self.items = items
        self.resourceVersion = resourceVersion
        self.continueToken = continueToken
    }
}

public struct WatchEvent: Sendable, Equatable {
    public enum EventType: String, Sendable {
        case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK", error = "ERROR"
    }

    public var type: EventType
    public var object: JSONValue

    public init(type: EventType, object: JSONValue) {
        self.type = type
        self.object = object
    }
}

public enum PatchType: String, Sendable {
    case json = "application/json-patch+json"
    case merge = "application/merge-patch+json"
    case strategicMerge = "application/strategic-merge-patch+json"
    case apply = "application/apply-patch+yaml"
}

public struct DeleteOptions: Sendable, Equatable {
    public var propagationPolicy: String?
    public var gracePeriodSeconds: Int?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?

    public init(propagationPolicy: String? = nil, gracePeriodSeconds: Int? = nil, preconditionUID: String? = nil,
                preconditionResourceVersion: String? = nil) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
    }

    var body: JSONValue? {
        var object: [String: JSONValue] = [:]
        if let propagationPolicy { object["propagationPolicy"] = .string(propagationPolicy) }
        if let gracePeriodSeconds { object["gracePeriodSeconds"] = .int(Int64(gracePeriodSeconds)) }
        var preconditions: [String: JSONValue] = [:]
        if let preconditionUID { preconditions["uid"] = .string(preconditionUID) }
        if let preconditionResourceVersion { preconditions["resourceVersion"] = .string(preconditionResourceVersion) }
        if !preconditions.isEmpty { object["preconditions"] = .object(preconditions) }
        guard !object.isEmpty else { return nil }
        object["apiVersion"] = "v1"
        object["kind"] = "DeleteOptions"
        return .object(object)
    }
}

/// A resource found through discovery, with the verbs it supports.
public struct DiscoveredResource: Sendable, Hashable {
    public var type: ResourceType
    public var verbs: Set<String>

    public init(type: ResourceType, verbs: Set<String>) {
        self.type = type
        self.verbs = verbs
    }
}

/// A non-2xx answer, with the Status the server sent (reason and message as upstream words them).
public struct APIError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String

    public init(code: Int, reason: String, message: String) {
        self.code = code
        self.reason = reason
        self.message = message
    }

    public init(code: Int, body: [UInt8]) {
        let status = try? JSONParser.parse(body)
        self.code = status?["code"]?.int.map(Int.init) ?? code
        reason = status?["reason"]?.string ?? ""
        message = status?["message"]?.string ?? String(decoding: body.prefix(300), as: UTF8.self)
    }

    public init(status: JSONValue) {
        code = status["code"]?.int.map(Int.init) ?? 500
        reason = status["reason"]?.string ?? ""
        message = status["message"]?.string ?? ""
    }

    public var description: String { message.isEmpty ? "HTTP \(code) \(reason)" : message }
    public var isNotFound: Bool { code == 404 }
    public var isConflict: Bool { code == 409 && reason != "AlreadyExists" }
    public var isAlreadyExists: Bool { code == 409 && reason == "AlreadyExists" }
    /// The watch's or list's resourceVersion is older than the server keeps: relist.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
}

public extension KubernetesClient {
    func list(_ resource: ResourceType, namespace: String? = nil, labelSelector: String? = nil) async throws -> ObjectList {
        try await list(resource, namespace: namespace, options: ListOptions(labelSelector: labelSelector))
    }

    func get(_ resource: ResourceType, namespace: String? = nil, name: String) async throws -> JSONValue {
        try await get(resource, namespace: namespace, name: name, subresource: nil)
    }

    func create(_ resource: ResourceType, namespace: String? = nil, _ object: JSONValue) async throws -> JSONValue {
        try await create(resource, namespace: namespace, object: object, subresource: nil)
    }

    func update(_ resource: ResourceType, _ object: JSONValue) async throws -> JSONValue {
        try await update(resource, namespace: object.namespaceField, object: object, subresource: nil)
    }

    func updateStatus(_ resource: ResourceType, _ object: JSONValue) async throws -> JSONValue {
        try await update(resource, namespace: object.namespaceField, object: object, subresource: "status")
    }

    func delete(_ resource: ResourceType, namespace: String? = nil, name: String) async throws {
        try await delete(resource, namespace: namespace, name: name, options: DeleteOptions())
    }

    func patch(_ resource: ResourceType, namespace: String? = nil, name: String, type: PatchType = .merge,
               _ body: JSONValue) async throws -> JSONValue {
        try await patch(resource, namespace: namespace, name: name, type: type, body: body, subresource: nil)
    }

    /// client-go's RetryOnConflict around a read-modify-write: `mutate` gets the latest object (nil: leave it)
    /// and the update is retried on 409 with a fresh read, up to five times. The object written, or nil when
    /// `mutate` returned nil.
    @discardableResult
    func retryUpdate(_ resource: ResourceType, namespace: String?, name: String, subresource: String? = nil,
                     _ mutate: (JSONValue) throws -> JSONValue?) async throws -> JSONValue? {
        var attempt = 0
        while true {
            let current = try await get(resource, namespace: namespace, name: name, subresource: nil)
            guard let changed = try mutate(current) else { return nil }
            do {
                return try await update(resource, namespace: namespace, object: changed, subresource: subresource)
            } catch let error as APIError where error.isConflict && attempt < 4 {
                attempt += 1
            }
        }
    }
}

extension JSONValue {
    var namespaceField: String? {
        guard case .string(let ns)? = self[path: ["metadata", "namespace"]], !ns.isEmpty else { return nil }
        return ns
    }
}
