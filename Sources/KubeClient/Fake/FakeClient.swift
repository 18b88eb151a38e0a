import KubeJSON
import Synchronization

/// An in-memory API for controller tests (client-go's fake clientset with its object tracker): objects get uids,
/// resourceVersions and generated names; updates over a stale resourceVersion conflict; deletes honour finalizers;
/// watches see every change after the version they start from. Every write is recorded as an action.
public final class FakeClient: KubernetesClient {
    public struct Action: Sendable, Equatable, CustomStringConvertible {
        public var verb: String
        public var resource: String
        public var namespace: String
        public var name: String
        public var subresource: String?
        public var description: String {
            "\(verb) \(resource)\(subresource.map { "/" + $0 } ?? "") \(namespace.isEmpty ? "" : namespace + "/")\(name)"
        }
    }

    private struct Key: Hashable {
        var resource: String
        var namespace: String
        var name: String
    }

    private struct Watcher {
        var resource: String
        var namespace: String?
        var continuation: AsyncThrowingStream<WatchEvent, any Error>.Continuation
    }

    private struct State {
        var objects: [Key: JSONValue] = [:]
        var revision: Int64 = 0
        var history: [(String, WatchEvent)] = []
        var watchers: [Int: Watcher] = [:]
        var nextWatcher = 0
        var actions: [Action] = []
        var nameCounter = 0
        var failures: [String: APIError] = [:]
        var discovery: [DiscoveredResource] = []
        var reactors: [String: @Sendable (JSONValue) throws -> JSONValue] = [:]
    }

    private let state = Mutex(State())

    public init(_ objects: [(ResourceType, JSONValue)] = []) {
        for (resource, object) in objects { _ = try? insert(resource, object) }
        state.withLock { $0.actions = [] }
    }

    /// Writes recorded so far, in order (reads are not recorded).
    public var actions: [Action] { state.withLock { $0.actions } }

    public func clearActions() { state.withLock { $0.actions = [] } }

    /// Makes the next `verb` on `resource` (e.g. "create pods") fail with `error`.
    public func failNext(_ verb: String, _ resource: ResourceType, with error: APIError) {
        state.withLock { $0.failures["\(verb) \(resource.resource)"] = error }
    }

    /// Answers every create of `resource` with `respond` instead of storing it: for the virtual resources a
    /// controller asks questions of (SubjectAccessReviews). The create is recorded as an action.
    public func onCreate(_ resource: ResourceType, _ respond: @escaping @Sendable (JSONValue) throws -> JSONValue) {
        state.withLock { $0.reactors[resource.resource] = respond }
    }

    public func setDiscovery(_ resources: [DiscoveredResource]) { state.withLock { $0.discovery = resources } }

    /// Every object of a resource, as stored.
    public func objects(_ resource: ResourceType, namespace: String? = nil) -> [JSONValue] {
        state.withLock { s in
            s.objects.filter { $0.key.resource == resource.resource && (namespace == nil || $0.key.namespace == namespace) }
                .sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }.map(\.value)
        }
    }

    /// Stores an object as a test's fixture would be found (no action recorded).
    @discardableResult
    public func insert(_ resource: ResourceType, _ object: JSONValue) throws -> JSONValue {
        try state.withLock { s in try Self.store(&s, resource, object, verb: nil) }
    }

    private static func key(_ resource: ResourceType, _ object: JSONValue) -> Key {
        Key(resource: resource.resource, namespace: resource.namespaced ? object[path: ["metadata", "namespace"]]?.string ?? "" : "",
            name: object[path: ["metadata", "name"]]?.string ?? "")
    }

    private static func failure(_ s: inout State, _ verb: String, _ resource: ResourceType) -> APIError? {
        s.failures.removeValue(forKey: "\(verb) \(resource.resource)")
    }

    private static func store(_ s: inout State, _ resource: ResourceType, _ input: JSONValue, verb: String?) throws -> JSONValue {
        var object = input
        if object["kind"] == nil { object["kind"] = .string(resource.kind) }
        if object["apiVersion"] == nil { object["apiVersion"] = .string(resource.apiVersion) }
        if (object[path: ["metadata", "name"]]?.string ?? "").isEmpty {
            guard let prefix = object[path: ["metadata", "generateName"]]?.string else {
                throw APIError(code: 422, reason: "Invalid", message: "metadata.name: Required value: name or generateName is required")
            }
            s.nameCounter += 1
            object[path: ["metadata", "name"]] = .string(prefix + String(s.nameCounter, radix: 36).leftPadded(5))
        }
        let key = key(resource, object)
        if s.objects[key] != nil {
            throw APIError(code: 409, reason: "AlreadyExists", message: "\(resource) \"\(key.name)\" already exists")
        }
        s.revision += 1
        s.nameCounter += 1
        object[path: ["metadata", "uid"]] = .string("uid-\(s.nameCounter)")
        object[path: ["metadata", "resourceVersion"]] = .string(String(s.revision))
        if object[path: ["metadata", "creationTimestamp"]] == nil {
            object[path: ["metadata", "creationTimestamp"]] = .string("2026-01-01T00:00:\(String(s.revision % 60).leftPadded(2, "0"))Z")
        }
        if object[path: ["metadata", "generation"]] == nil { object[path: ["metadata", "generation"]] = .int(1) }
        s.objects[key] = object
        if let verb { s.actions.append(Action(verb: verb, resource: resource.resource, namespace: key.namespace, name: key.name)) }
        notify(&s, resource.resource, WatchEvent(type: .added, object: object))
        return object
    }

    private static func notify(_ s: inout State, _ resource: String, _ event: WatchEvent) {
        s.history.append((resource, event))
        let namespace = event.object[path: ["metadata", "namespace"]]?.string ?? ""
        for watcher in s.watchers.values where watcher.resource == resource && (watcher.namespace == nil || watcher.namespace == namespace) {
            watcher.continuation.yield(event)
        }
    }

    // MARK: KubernetesClient

    public func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        let selector = options.labelSelector.flatMap { SimpleSelector($0) }
        return state.withLock { s in
            let items = s.objects.filter { $0.key.resource == resource.resource && ((namespace ?? "").isEmpty || $0.key.namespace == namespace) }
                .sorted { ($0.key.namespace, $0.key.name) < ($1.key.namespace, $1.key.name) }.map(\.value)
                .filter { selector?.matches($0) ?? true }
            return ObjectList(items: items, resourceVersion: String(s.revision))
        }
    }

    public func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        let from = Int64(options.resourceVersion ?? "") ?? 0
        let (stream, continuation) = AsyncThrowingStream<WatchEvent, any Error>.makeStream()
        let ns = (namespace ?? "").isEmpty ? nil : namespace
        state.withLock { s in
            for (r, event) in s.history where r == resource.resource {
                let rv = Int64(event.object[path: ["metadata", "resourceVersion"]]?.string ?? "") ?? 0
                let eventNamespace = event.object[path: ["metadata", "namespace"]]?.string ?? ""
                if rv > from && (ns == nil || ns == eventNamespace) { continuation.yield(event) }
            }
            let id = s.nextWatcher
            s.nextWatcher += 1
            s.watchers[id] = Watcher(resource: resource.resource, namespace: ns, continuation: continuation)
            continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.watchers.removeValue(forKey: id) } }
        }
        return stream
    }

    /// Ends every open watch (as a server restart would); informers relist or resume.
    public func closeWatches() {
        let watchers = state.withLock { s in
            defer { s.watchers = [:] }
            return Array(s.watchers.values)
        }
        for watcher in watchers { watcher.continuation.finish() }
    }

    public func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        try state.withLock { s in
            guard let object = s.objects[Key(resource: resource.resource, namespace: resource.namespaced ? namespace ?? "" : "", name: name)] else {
                throw APIError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found")
            }
            if subresource == "scale" {
                // <resource>/<name>/scale: an autoscaling/v1 Scale of the object's replicas.
                return ["apiVersion": "autoscaling/v1", "kind": "Scale",
                        "metadata": ["name": .string(name), "namespace": object[path: ["metadata", "namespace"]] ?? "",
                                     "resourceVersion": object[path: ["metadata", "resourceVersion"]] ?? ""],
                        "spec": ["replicas": object[path: ["spec", "replicas"]] ?? 1],
                        "status": ["replicas": object[path: ["status", "replicas"]] ?? 0]]
            }
            return object
        }
    }

    public func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        try state.withLock { s in
            if let error = Self.failure(&s, "create", resource) { throw error }
            if let react = s.reactors[resource.resource] {
                s.actions.append(Action(verb: "create", resource: resource.resource, namespace: namespace ?? "", name: ""))
                return try react(object)
            }
            var object = object
            if resource.namespaced, let namespace { object[path: ["metadata", "namespace"]] = .string(namespace) }
            if let subresource {
                s.actions.append(Action(verb: "create", resource: resource.resource, namespace: namespace ?? "",
                                        name: object[path: ["metadata", "name"]]?.string ?? "", subresource: subresource))
                return object
            }
            return try Self.store(&s, resource, object, verb: "create")
        }
    }

    public func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        try state.withLock { s in
            if let error = Self.failure(&s, "update", resource) { throw error }
            var object = object
            if resource.namespaced, let namespace { object[path: ["metadata", "namespace"]] = .string(namespace) }
            let key = Self.key(resource, object)
            guard let current = s.objects[key] else {
                throw APIError(code: 404, reason: "NotFound", message: "\(resource) \"\(key.name)\" not found")
            }
            let rv = object[path: ["metadata", "resourceVersion"]]?.string ?? ""
            if !rv.isEmpty, rv != current[path: ["metadata", "resourceVersion"]]?.string {
                throw APIError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(resource) \"\(key.name)\": the object has been modified; please apply your changes to the latest version and try again")
            }
            var next = current
            if subresource == "finalize" {
                // namespaces/<name>/finalize: only spec.finalizers; a terminating namespace left with none goes.
                next[path: ["spec", "finalizers"]] = object[path: ["spec", "finalizers"]]
                if next[path: ["metadata", "deletionTimestamp"]] != nil, (next[path: ["spec", "finalizers"]]?.array ?? []).isEmpty,
                   (next[path: ["metadata", "finalizers"]]?.array ?? []).isEmpty {
                    s.revision += 1
                    s.objects[key] = nil
                    s.actions.append(Action(verb: "update", resource: resource.resource, namespace: "", name: key.name, subresource: subresource))
                    Self.notify(&s, resource.resource, WatchEvent(type: .deleted, object: next))
                    return next
                }
            } else if subresource == "status" {
                next["status"] = object["status"]
            } else if subresource == "scale" {
                next[path: ["spec", "replicas"]] = object[path: ["spec", "replicas"]]
                next[path: ["metadata", "generation"]] = .int((current[path: ["metadata", "generation"]]?.int ?? 1) + 1)
            } else if subresource == "approval" {
                // certificatesigningrequests/<name>/approval: only the conditions.
                next[path: ["status", "conditions"]] = object[path: ["status", "conditions"]]
            } else {
                next = object
                next["status"] = current["status"]
                next[path: ["metadata", "uid"]] = current[path: ["metadata", "uid"]]
                next[path: ["metadata", "creationTimestamp"]] = current[path: ["metadata", "creationTimestamp"]]
                next[path: ["metadata", "deletionTimestamp"]] = current[path: ["metadata", "deletionTimestamp"]]
                if object["spec"] != current["spec"] {
                    next[path: ["metadata", "generation"]] = .int((current[path: ["metadata", "generation"]]?.int ?? 1) + 1)
                } else {
                    next[path: ["metadata", "generation"]] = current[path: ["metadata", "generation"]]
                }
            }
            s.actions.append(Action(verb: "update", resource: resource.resource, namespace: key.namespace, name: key.name, subresource: subresource))
            return Self.replace(&s, resource, key, next)
        }
    }

    private static func replace(_ s: inout State, _ resource: ResourceType, _ key: Key, _ object: JSONValue) -> JSONValue {
        var object = object
        // An object being deleted goes once its last finalizer does.
        if object[path: ["metadata", "deletionTimestamp"]] != nil, (object[path: ["metadata", "finalizers"]]?.array ?? []).isEmpty {
            s.revision += 1
            object[path: ["metadata", "resourceVersion"]] = .string(String(s.revision))
            s.objects[key] = nil
            notify(&s, resource.resource, WatchEvent(type: .deleted, object: object))
            return object
        }
        s.revision += 1
        object[path: ["metadata", "resourceVersion"]] = .string(String(s.revision))
        s.objects[key] = object
        notify(&s, resource.resource, WatchEvent(type: .modified, object: object))
        return object
    }

    public func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
                      subresource: String?) async throws -> JSONValue {
        guard type == .merge || type == .strategicMerge else {
            throw APIError(code: 415, reason: "UnsupportedMediaType", message: "the fake client applies merge patches only")
        }
        return try state.withLock { s in
            if let error = Self.failure(&s, "patch", resource) { throw error }
            let key = Key(resource: resource.resource, namespace: resource.namespaced ? namespace ?? "" : "", name: name)
            guard let current = s.objects[key] else {
                throw APIError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found")
            }
            s.actions.append(Action(verb: "patch", resource: resource.resource, namespace: key.namespace, name: name, subresource: subresource))
            return Self.replace(&s, resource, key, Self.mergePatch(current, body))
        }
    }

    static func mergePatch(_ target: JSONValue, _ patch: JSONValue) -> JSONValue {
        guard case .object(let fields) = patch else { return patch }
        var result = target.object ?? [:]
        for (k, v) in fields {
            if v == .null { result[k] = nil } else { result[k] = mergePatch(result[k] ?? .null, v) }
        }
        return .object(result)
    }

    public func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws {
        try state.withLock { s in
            if let error = Self.failure(&s, "delete", resource) { throw error }
            let key = Key(resource: resource.resource, namespace: resource.namespaced ? namespace ?? "" : "", name: name)
            guard var current = s.objects[key] else {
                throw APIError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found")
            }
            if let uid = options.preconditionUID, uid != current[path: ["metadata", "uid"]]?.string {
                throw APIError(code: 409, reason: "Conflict", message: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current[path: ["metadata", "uid"]]?.string ?? "")")
            }
            s.actions.append(Action(verb: "delete", resource: resource.resource, namespace: key.namespace, name: name))
            var finalizers = current[path: ["metadata", "finalizers"]]?.array ?? []
            if options.propagationPolicy == "Foreground", !finalizers.contains("foregroundDeletion") { finalizers.append("foregroundDeletion") }
            if options.propagationPolicy == "Orphan", !finalizers.contains("orphan") { finalizers.append("orphan") }
            if !finalizers.isEmpty {
                if current[path: ["metadata", "deletionTimestamp"]] == nil {
                    current[path: ["metadata", "deletionTimestamp"]] = "2026-01-01T00:00:00Z"
                    current[path: ["metadata", "finalizers"]] = .array(finalizers)
                    _ = Self.replace(&s, resource, key, current)
                }
                return
            }
            s.revision += 1
            current[path: ["metadata", "resourceVersion"]] = .string(String(s.revision))
            s.objects[key] = nil
            Self.notify(&s, resource.resource, WatchEvent(type: .deleted, object: current))
        }
    }

    public func serverResources() async throws -> [DiscoveredResource] { state.withLock { $0.discovery } }
}

/// Equality-based label selectors (`a=b,c!=d`, `a`, `!a`), enough for the fake's lists.
struct SimpleSelector {
    var requirements: [(key: String, op: String, value: String)] = []

    init?(_ text: String) {
        for raw in text.split(separator: ",") {
            let part = String(raw).trimmingCharacters(in: " ")
            guard !part.isEmpty else { continue }
            let chars = Array(part)
            if let i = chars.firstIndex(of: "=") {
                let negated = i > 0 && chars[i - 1] == "!"
                let key = String(chars[..<(negated ? i - 1 : i)])
                let valueStart = i + 1 < chars.count && chars[i + 1] == "=" ? i + 2 : i + 1
                requirements.append((key, negated ? "!=" : "=", String(chars[valueStart...])))
            } else if part.hasPrefix("!") {
                requirements.append((String(part.dropFirst()), "!", ""))
            } else {
                requirements.append((part, "exists", ""))
            }
        }
    }

    func matches(_ object: JSONValue) -> Bool {
        let labels = object[path: ["metadata", "labels"]]?.object ?? [:]
        return requirements.allSatisfy { r in
            switch r.op {
            case "=": return labels[r.key]?.string == r.value
            case "!=": return labels[r.key]?.string != r.value
            case "!": return labels[r.key] == nil
            default: return labels[r.key] != nil
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int, _ pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}
