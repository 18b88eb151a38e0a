import KubeAPI
import KubeJSON
import KubeStorage

extension GenericStore {
    /// `PUT /api/v1/namespaces/<name>/finalize`: only `spec.finalizers` changes (the namespace controller removes
    /// `kubernetes` once the namespace is empty). A terminating namespace left with no finalizers of either kind
    /// is deleted, as upstream's namespace storage does.
    func finalizeNamespace(_ name: String, body: JSONValue, context: RequestContext) async throws -> JSONValue {
        let key = definition.key(namespace: "", name: name)
        for _ in 0..<16 {
            let currentKV: KeyValue?
            do { currentKV = try await storage.get(key) } catch { throw mapStorageError(error, name: name) }
            guard let currentKV else { throw StatusError.notFound(groupResource, name) }
            var object = try decode(currentKV)
            if let uid = body[path: ["metadata", "uid"]]?.string, !uid.isEmpty, uid != object.metaUID {
                throw StatusError.conflict(groupResource, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(object.metaUID)")
            }
            if let rv = body[path: ["metadata", "resourceVersion"]]?.string, !rv.isEmpty, rv != String(currentKV.modRevision) {
                throw StatusError.conflict(groupResource, name, StatusError.optimisticLockMessage)
            }
            let finalizers = (body[path: ["spec", "finalizers"]]?.array ?? []).compactMap(\.string)
            var seen = Set<String>()
            object[path: ["spec", "finalizers"]] = finalizers.isEmpty ? nil : .array(finalizers.filter { seen.insert($0).inserted }.map { .string($0) })
            if context.dryRun { return object }
            do {
                if object.metaDeletionTimestamp != nil, finalizers.isEmpty, object.metaFinalizers.isEmpty {
                    _ = try await storage.delete(key, expectedModRevision: currentKV.modRevision)
                    return object
                }
                let revision = try await storage.update(key, value: encode(object), expectedModRevision: currentKV.modRevision)
                object.setMeta("resourceVersion", .string(String(revision)))
                return object
            } catch StorageError.conflict {
                continue
            } catch {
                throw mapStorageError(error, name: name)
            }
        }
        throw StatusError.conflict(groupResource, name, StatusError.optimisticLockMessage)
    }
}
