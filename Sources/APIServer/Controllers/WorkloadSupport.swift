import KubeAPI
import KubeJSON
import KubeStorage
import Logging

/// What the workload controllers share: owner references, pods made from templates, readiness, and the coalescing
/// loop that runs one controller pass after a burst of changes.
enum Workloads {
    static func ownerReference(_ owner: JSONValue, blockOwnerDeletion: Bool = true) -> JSONValue {
        ["apiVersion": owner["apiVersion"] ?? "", "kind": owner["kind"] ?? "", "name": .string(owner.metaName),
         "uid": .string(owner.metaUID), "controller": true, "blockOwnerDeletion": .bool(blockOwnerDeletion)]
    }

    /// The UID of the object's controlling owner, if any.
    static func controllerUID(_ object: JSONValue) -> String? {
        object[path: ["metadata", "ownerReferences"]]?.array?.first { $0["controller"]?.bool == true }?["uid"]?.string
    }

    static func isActive(_ pod: JSONValue) -> Bool {
        pod.metaDeletionTimestamp == nil && !["Succeeded", "Failed"].contains(pod[path: ["status", "phase"]]?.string ?? "")
    }

    static func isReady(_ pod: JSONValue) -> Bool {
        pod[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "Ready" && $0["status"] == "True" } == true
    }

    /// A pod from a template, owned by `owner` (upstream's GetPodFromTemplate): `<prefix>-<5 random>`.
    static func pod(from template: JSONValue, owner: JSONValue, namePrefix: String, extraLabels: [String: String] = [:]) -> JSONValue {
        var labels = template[path: ["metadata", "labels"]]?.object ?? [:]
        for (k, v) in extraLabels { labels[k] = .string(v) }
        var metadata: JSONValue = ["generateName": .string(namePrefix + "-"), "namespace": .string(owner.metaNamespace),
                                   "labels": .object(labels), "ownerReferences": [ownerReference(owner)]]
        if let annotations = template[path: ["metadata", "annotations"]] { metadata["annotations"] = annotations }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": template["spec"] ?? .emptyObject]
    }

    /// Runs `pass` once per burst of changes under the prefixes, until the task is cancelled.
    static func run(server: APIServer, prefixes: [String], logger: Logger, pass: @escaping @Sendable () async -> Void) async {
        await run(server: server, prefixes: prefixes, logger: logger) { () async -> Double? in
            await pass()
            return nil
        }
    }

    /// As above, for controllers that act on time as well as on changes (backoff, deadlines, schedules): `pass`
    /// returns how many seconds from now it wants to run again, and runs then if nothing changed before.
    static func run(server: APIServer, prefixes: [String], logger: Logger, pass: @escaping @Sendable () async -> Double?) async {
        let (dirty, mark) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        await withTaskGroup(of: Void.self) { group in
            for prefix in prefixes {
                group.addTask { await StorageReflector(storage: server.storage, prefix: prefix, logger: logger).run { _ in mark.yield() } }
            }
            group.addTask {
                var timer: Task<Void, Never>?
                for await _ in dirty {
                    timer?.cancel()
                    timer = nil
                    if let delay = await pass() {
                        timer = Task {
                            try? await Task.sleep(for: .milliseconds(Int64(max(delay, 0.05) * 1000)))
                            if !Task.isCancelled { mark.yield() }
                        }
                    }
                }
                timer?.cancel()
            }
        }
    }

    static func context(_ component: String) -> RequestContext {
        RequestContext(user: UserInfo(name: "system:kube-controller-manager", groups: ["system:masters"]), fieldManager: component)
    }

    /// Writes `status` through the status subresource when it differs from the object's, only over the version it
    /// was computed from (as upstream's UpdateStatus): a status from a stale read must not undo another writer's
    /// change, and that change brings another pass anyway. The object as written, or nil when nothing was.
    @discardableResult
    static func updateStatus(_ object: JSONValue, _ status: JSONValue, store: GenericStore, component: String) async -> JSONValue? {
        guard object["status"] != status else { return nil }
        var context = context(component)
        context.subresource = "status"
        return try? await store.guaranteedUpdate(namespace: object.metaNamespace, name: object.metaName, context: context) { current in
            guard var latest = current, latest.metaUID == object.metaUID else {
                throw StatusError.notFound(store.definition.groupResource, object.metaName)
            }
            guard latest.metaResourceVersion == object.metaResourceVersion else {
                throw StatusError.conflict(store.definition.groupResource, object.metaName, StatusError.optimisticLockMessage)
            }
            latest["status"] = status
            return latest
        }.0
    }

    /// An int-or-percent (maxSurge, maxUnavailable) of `total`, rounding up or down as upstream does.
    static func scaled(_ value: JSONValue?, of total: Int, roundUp: Bool, default fallback: Int) -> Int {
        switch value {
        case .int(let n)?: return Int(n)
        case .string(let s)? where s.hasSuffix("%"):
            guard let percent = Double(s.dropLast()) else { return fallback }
            let exact = Double(total) * percent / 100
            return Int(roundUp ? exact.rounded(.up) : exact.rounded(.down))
        case .string(let s)?: return Int(s) ?? fallback
        default: return fallback
        }
    }
}
