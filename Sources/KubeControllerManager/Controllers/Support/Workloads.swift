import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// What the workload controllers share: owner references, pods made from templates, readiness, int-or-percent
/// arithmetic within bounds, and the event handlers that map a dependent's change to its owner's key.
enum Workloads {
    static func ownerReference(_ owner: JSONValue, blockOwnerDeletion: Bool = true) -> OwnerReference {
        .newControllerRef(apiVersion: owner["apiVersion"]?.string ?? "", kind: owner["kind"]?.string ?? "", name: owner.metaName,
                          uid: owner.metaUID, blockOwnerDeletion: blockOwnerDeletion)
    }

    /// A typed value as JSON, to place in an object written as JSON.
    static func json(_ value: some Encodable) throws -> JSONValue { try JSONValueEncoder().encode(value) }

    /// The controlling owner reference, if any.
    static func controllerRef(_ object: JSONValue) -> JSONValue? {
        object[path: ["metadata", "ownerReferences"]]?.array?.first { $0["controller"]?.bool == true }
    }

    static func controllerUID(_ object: JSONValue) -> String? { controllerRef(object)?["uid"]?.string }

    /// A pod from a template, owned by `owner` (upstream's GetPodFromTemplate): `<prefix>-<5 random>`. The template's
    /// spec is copied as stored; its metadata is read typed.
    static func pod(from template: JSONValue, owner: JSONValue, namePrefix: String, extraLabels: [String: String] = [:]) throws -> JSONValue {
        let templateMeta: ObjectMeta
        do {
            templateMeta = try ObjectMeta(json: template["metadata"] ?? .emptyObject)
        } catch {
            let inner = error as? JSONValueDecodingError
            let path = "spec.template.metadata" + (inner.map { $0.path.isEmpty ? "" : ".\($0.path)" } ?? "")
            throw UndecodableObject(kind: owner["kind"]?.string ?? "", namespace: owner.metaNamespace, name: owner.metaName,
                                    error: JSONValueDecodingError(path: path, message: inner?.message ?? "\(error)"))
        }
        var metadata = ObjectMeta(namespace: owner.metaNamespace, labels: (templateMeta.labels ?? [:]).merging(extraLabels) { $1 },
                                  annotations: templateMeta.annotations)
        metadata.generateName = namePrefix + "-"
        metadata.ownerReferences = [ownerReference(owner)]
        return ["apiVersion": "v1", "kind": "Pod", "metadata": try json(metadata), "spec": template["spec"] ?? .emptyObject]
    }

    /// A count for an int32 field, at Int32's bounds (sums of clamped fields can pass them).
    static func int32(_ n: Int) -> Int32 { Int32(clamping: n) }

    static func percent(_ text: String) -> Int? {
        guard text.hasSuffix("%") else { return nil }
        let digits = text.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits) ?? Int.max
    }

    /// An int-or-percent (maxSurge, maxUnavailable) of `total`, rounding up or down as upstream does, within
    /// 0...Int32.max whatever the stored value.
    static func scaled(_ value: IntOrString?, of total: Int, roundUp: Bool, default fallback: Int) -> Int {
        let int32Max = Int(Int32.max)
        let result: Int
        switch value {
        case .string(let s):
            if let percent = percent(s) {
                let product = min(max(total, 0), int32Max) * min(percent, int32Max)
                result = roundUp ? (product + 99) / 100 : product / 100
            } else {
                result = Int(s) ?? fallback
            }
        case .int(let i): result = Int(Int32(clamping: i))
        case nil: result = fallback
        }
        return min(max(result, 0), int32Max)
    }

    /// Handlers for a dependent kind (pods, ReplicaSets): a change is queued as its controlling owner's key when
    /// that owner is of `ownerKind`; an orphan is queued for every owner in its namespace (one may adopt it).
    static func dependentHandler(ownerKind: String, owners: ObjectCache, queue: WorkQueue,
                                 expectations: Expectations? = nil) -> EventHandler {
        controlledHandler(ownerKind: ownerKind, queue: queue, expectations: expectations, orphan: { object in
            for owner in owners.byIndex(Indexes.namespace, object.metaNamespace) { queue.add(ObjectCache.key(owner)) }
        })
    }

    /// The handler for the primary kind: every change queues its key.
    static func primaryHandler(queue: WorkQueue) -> EventHandler {
        .any { queue.add(ObjectCache.key($0)) }
    }
}
