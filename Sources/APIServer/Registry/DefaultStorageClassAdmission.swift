import KubeJSON
import KubeStorage

/// upstream's DefaultStorageClass admission plugin: a claim that names no class gets the default one (the newest
/// StorageClass annotated `storageclass.kubernetes.io/is-default-class: "true"`).
struct DefaultStorageClassAdmission: AdmissionPlugin {
    var name: String { "DefaultStorageClass" }
    let storage: any StorageBackend

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .create, resource.group.isEmpty, resource.resource == "persistentvolumeclaims",
              object[path: ["spec", "storageClassName"]] == nil || object[path: ["spec", "storageClassName"]] == .null else { return }
        let classes = try await storage.range(prefix: "/registry/storageclasses/", startAfter: nil, limit: 0).kvs
            .compactMap { try? JSONParser.parse($0.value) }
            .filter { $0[path: ["metadata", "annotations", "storageclass.kubernetes.io/is-default-class"]]?.string == "true" }
        guard let newest = classes.max(by: { ($0.metaCreationTimestamp ?? "", $0.metaName) < ($1.metaCreationTimestamp ?? "", $1.metaName) }) else { return }
        object[path: ["spec", "storageClassName"]] = .string(newest.metaName)
    }
}
