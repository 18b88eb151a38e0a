import KubeJSON
import KubeStorage

/// Core/v1 objects straight from storage, by the keys upstream lays out in etcd.
struct StoredObjects: StorageReader {
    let storage: any StorageBackend

    func object(_ resource: String, namespace: String, name: String) async throws -> JSONValue? {
        let key = namespace.isEmpty ? "/registry/\(resource)/\(name)" : "/registry/\(resource)/\(namespace)/\(name)"
        guard let kv = try await storage.get(key) else { return nil }
        return try JSONParser.parse(kv.value)
    }
}
