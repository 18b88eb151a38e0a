import KubeJSON
import KubeStorage

/// Binding a pod to a node (the `pods/binding` subresource, which kube-scheduler posts): only an unbound pod, once.
/// Like upstream's BindingREST it writes spec.nodeName and the PodScheduled condition itself, past the pod strategy
/// (which allows neither on an update).
enum PodBinding {
    static func bind(namespace: String, name: String, uid: String?, node: String, store: GenericStore, context: RequestContext) async throws {
        let resource = GroupResource(group: "", resource: "pods")
        let key = store.definition.key(namespace: namespace, name: name)
        for _ in 0..<8 {
            guard let kv = try await store.storage.get(key) else { throw StatusError.notFound(resource, name) }
            var pod = try store.decode(kv)
            if let uid, !uid.isEmpty, pod.metaUID != uid {
                throw StatusError.conflict(resource, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(pod.metaUID)")
            }
            if let bound = pod[path: ["spec", "nodeName"]]?.string, !bound.isEmpty {
                throw StatusError.conflict(resource, name, "pod \(name) is already assigned to node \"\(bound)\"")
            }
            if pod.metaDeletionTimestamp != nil {
                throw StatusError.conflict(resource, name, "pod \(name) is being deleted, cannot be assigned to a host")
            }
            let old = pod
            pod[path: ["spec", "nodeName"]] = .string(node)
            var conditions = (pod[path: ["status", "conditions"]]?.array ?? []).filter { $0["type"] != "PodScheduled" }
            conditions.append(["type": "PodScheduled", "status": "True", "lastProbeTime": .null,
                               "lastTransitionTime": .string(Timestamp.format(Timestamp.now()))])
            pod[path: ["status", "conditions"]] = .array(conditions)
            ManagedFields.recordUpdate(old: old, new: &pod, manager: context.manager, subresource: "binding",
                                       apiVersion: "v1", shape: FieldShape.of(store.definition))
            do {
                _ = try await store.storage.update(key, value: store.encode(pod), expectedModRevision: kv.modRevision)
                return
            } catch StorageError.conflict {
                continue
            }
        }
        throw StatusError.conflict(resource, name, StatusError.optimisticLockMessage)
    }
}
