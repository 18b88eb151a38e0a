import KubeJSON

/// Typed access to the metadata of a schemaless object (apimachinery's meta.Accessor).
extension JSONValue {
    public var metaName: String { self[path: ["metadata", "name"]]?.string ?? "" }
    public var metaNamespace: String { self[path: ["metadata", "namespace"]]?.string ?? "" }
    public var metaUID: String { self[path: ["metadata", "uid"]]?.string ?? "" }
    public var metaResourceVersion: String { self[path: ["metadata", "resourceVersion"]]?.string ?? "" }
    public var metaLabels: [String: String] { self[path: ["metadata", "labels"]]?.stringMap ?? [:] }
    public var metaFinalizers: [String] { self[path: ["metadata", "finalizers"]]?.array?.compactMap(\.string) ?? [] }
    public var metaDeletionTimestamp: String? { self[path: ["metadata", "deletionTimestamp"]]?.string }
    public var metaCreationTimestamp: String? { self[path: ["metadata", "creationTimestamp"]]?.string }

    public mutating func setMeta(_ field: String, _ value: JSONValue?) {
        if self["metadata"]?.object == nil { self["metadata"] = .emptyObject }
        self[path: ["metadata", field]] = value
    }
}
