import KubeJSON
import Synchronization

/// client-go's thread-safe store with indexers: the objects an informer has seen, by key (`namespace/name`, or
/// `name` for cluster-scoped objects), and secondary indexes computed when an object is stored.
public final class ObjectCache: Sendable {
    /// The values an object is filed under in one index (several for multi-valued indexes).
    public typealias IndexFunction = @Sendable (JSONValue) -> [String]

    private struct State {
        var objects: [String: JSONValue] = [:]
        var indexes: [String: [String: Set<String>]] = [:]
    }

    private let state = Mutex(State())
    private let indexers: Mutex<[String: IndexFunction]>

    public init(indexers: [String: IndexFunction] = [:]) {
        self.indexers = Mutex(indexers)
    }

    public static func key(_ object: JSONValue) -> String {
        let namespace = object[path: ["metadata", "namespace"]]?.string ?? ""
        let name = object[path: ["metadata", "name"]]?.string ?? ""
        return namespace.isEmpty ? name : namespace + "/" + name
    }

    public static func key(namespace: String, name: String) -> String {
        namespace.isEmpty ? name : namespace + "/" + name
    }

    /// Adds an index; objects already stored are filed under it.
    public func addIndexer(_ name: String, _ function: @escaping IndexFunction) {
        indexers.withLock { $0[name] = function }
        state.withLock { s in
            var index: [String: Set<String>] = [:]
            for (key, object) in s.objects { for value in function(object) { index[value, default: []].insert(key) } }
            s.indexes[name] = index
        }
    }

    public func get(_ key: String) -> JSONValue? { state.withLock { $0.objects[key] } }

    public func get(namespace: String, name: String) -> JSONValue? { get(Self.key(namespace: namespace, name: name)) }

    public func list() -> [JSONValue] { state.withLock { Array($0.objects.values) } }

    public var keys: [String] { state.withLock { Array($0.objects.keys) } }

    public var count: Int { state.withLock { $0.objects.count } }

    /// The objects filed under `value` in the index `name` (empty when there is no such index).
    public func byIndex(_ name: String, _ value: String) -> [JSONValue] {
        state.withLock { s in (s.indexes[name]?[value] ?? []).compactMap { s.objects[$0] } }
    }

    /// The values objects are filed under in the index `name` (client-go's ListIndexFuncValues).
    public func indexValues(_ name: String) -> [String] {
        state.withLock { s in s.indexes[name].map { Array($0.keys) } ?? [] }
    }

    /// How many objects are filed under `value` in the index `name`.
    public func indexCount(_ name: String, _ value: String) -> Int {
        state.withLock { s in s.indexes[name]?[value]?.count ?? 0 }
    }

    /// Stores an object; the previous version, if any.
    @discardableResult
    public func put(_ object: JSONValue) -> JSONValue? {
        let key = Self.key(object)
        let functions = indexers.withLock { $0 }
        return state.withLock { s in
            let old = s.objects[key]
            if let old { Self.unindex(&s, key, old, functions) }
            s.objects[key] = object
            Self.index(&s, key, object, functions)
            return old
        }
    }

    @discardableResult
    public func remove(_ key: String) -> JSONValue? {
        let functions = indexers.withLock { $0 }
        return state.withLock { s in
            guard let old = s.objects.removeValue(forKey: key) else { return nil }
            Self.unindex(&s, key, old, functions)
            return old
        }
    }

    /// Replaces everything (a relist); what was stored and is gone, keyed.
    public func replace(_ objects: [JSONValue]) -> [String: JSONValue] {
        let functions = indexers.withLock { $0 }
        return state.withLock { s in
            var fresh: [String: JSONValue] = [:]
            for object in objects { fresh[Self.key(object)] = object }
            let gone = s.objects.filter { fresh[$0.key] == nil }
            s.objects = fresh
            s.indexes = [:]
            for (key, object) in fresh { Self.index(&s, key, object, functions) }
            return gone
        }
    }

    private static func index(_ s: inout State, _ key: String, _ object: JSONValue, _ functions: [String: IndexFunction]) {
        for (name, function) in functions {
            for value in function(object) { s.indexes[name, default: [:]][value, default: []].insert(key) }
        }
    }

    private static func unindex(_ s: inout State, _ key: String, _ object: JSONValue, _ functions: [String: IndexFunction]) {
        for (name, function) in functions {
            for value in function(object) {
                s.indexes[name]?[value]?.remove(key)
                if s.indexes[name]?[value]?.isEmpty == true { s.indexes[name]?[value] = nil }
            }
        }
    }
}

/// Indexes controllers share (client-go's cache.NamespaceIndex and the ones upstream's controllers add).
public enum Indexes {
    public static let namespace = "namespace"
    public static let controllerUID = "controllerUID"
    public static let ownerUID = "ownerUID"
    public static let nodeName = "spec.nodeName"

    public static let byNamespace: ObjectCache.IndexFunction = { object in
        [object[path: ["metadata", "namespace"]]?.string ?? ""]
    }

    /// The UID of the controlling owner (`controller: true`).
    public static let byControllerUID: ObjectCache.IndexFunction = { object in
        guard let ref = object[path: ["metadata", "ownerReferences"]]?.array?.first(where: { $0["controller"]?.bool == true }),
              let uid = ref["uid"]?.string else { return [] }
        return [uid]
    }

    /// Every owner's UID.
    public static let byOwnerUID: ObjectCache.IndexFunction = { object in
        (object[path: ["metadata", "ownerReferences"]]?.array ?? []).compactMap { $0["uid"]?.string }
    }

    public static let byNodeName: ObjectCache.IndexFunction = { object in
        [object[path: ["spec", "nodeName"]]?.string ?? ""]
    }
}
