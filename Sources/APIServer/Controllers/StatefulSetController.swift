import KubeAPI
import KubeJSON
import Logging

/// upstream's statefulset controller, in process: pods `<name>-<ordinal>` with stable hostnames (`hostname` and the
/// governing Service as `subdomain`) and their claims `<template>-<name>-<ordinal>` from volumeClaimTemplates. Under
/// OrderedReady it creates one ordinal at a time once the lower ones are Running and Ready and removes the highest
/// first; Parallel does both at once. A RollingUpdate replaces pods from the highest ordinal down to `partition`, one
/// at a time; OnDelete waits for the user. Claims stay unless persistentVolumeClaimRetentionPolicy says Delete.
actor StatefulSetController: InProcessController {
    static let component = "statefulset-controller"
    static let hashLabel = "controller-revision-hash"
    static let podNameLabel = "statefulset.kubernetes.io/pod-name"
    static let podIndexLabel = "apps.kubernetes.io/pod-index"
    private let logger: Logger
    private var task: Task<Void, Never>?
    private let backoff = RetryBackoff()

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger, backoff = self.backoff
        task = Task {
            await Workloads.run(server: server, prefixes: ["/registry/statefulsets/", "/registry/pods/"], logger: logger) { () async -> Double? in
                await Self.syncAll(server: server, logger: logger, backoff: backoff)
            }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    static func syncAll(server: APIServer, logger: Logger, backoff: RetryBackoff = RetryBackoff()) async -> Double? {
        guard let sets = server.store("apps", "v1", "statefulsets"), let podStore = server.store("", "v1", "pods"),
              let claimStore = server.store("", "v1", "persistentvolumeclaims"),
              let statefulSets = try? await sets.list(namespace: "", options: ListOptions()).items else { return nil }
        backoff.keep(only: statefulSets)
        guard !statefulSets.isEmpty, let pods = try? await podStore.list(namespace: "", options: ListOptions()).items else { return nil }
        let events = ControllerEvents(server: server, component: component)
        var wake: Double?
        for sts in statefulSets where sts.metaDeletionTimestamp == nil {
            let owned = pods.filter { Workloads.controllerUID($0) == sts.metaUID }
            let sync = StatefulSetSync(sts: sts, owned: owned, sets: sets, podStore: podStore, claimStore: claimStore, events: events, logger: logger)
            let retry = await Workloads.reconcile(sts, component: component, backoff: backoff, logger: logger) {
                try await sync.run()
                return nil
            }
            if let retry { wake = min(wake ?? retry, retry) }
        }
        return wake
    }
}

/// One StatefulSet's reconciliation (upstream's updateStatefulSet, in short).
struct StatefulSetSync {
    let sts: JSONValue
    let owned: [JSONValue]
    let sets: GenericStore
    let podStore: GenericStore
    let claimStore: GenericStore
    let events: ControllerEvents
    let logger: Logger

    private var spec: JSONValue { sts["spec"] ?? .emptyObject }
    private var context: RequestContext { Workloads.context(StatefulSetController.component) }

    func run() async throws {
        // int32 fields, clamped and non-negative: the ordinal range below then fits an Int.
        let replicas = max(0, spec.goInt32(["replicas"]) ?? 1)
        let start = max(0, spec.goInt32(["ordinals", "start"]) ?? 0)
        let ordered = spec["podManagementPolicy"]?.string != "Parallel"
        let revision = "\(sts.metaName)-" + DeploymentController.templateHash(spec["template"] ?? .emptyObject,
                                                                              collisionCount: Int64(sts.goInt32(["status", "collisionCount"]) ?? 0))
        var byOrdinal: [Int: JSONValue] = [:]
        for pod in owned { if let n = ordinal(of: pod) { byOrdinal[n] = pod } }
        let wanted = start..<(start + replicas)

        // Failed pods are deleted and made again (the kubelet restarts the containers of running ones).
        for (n, pod) in byOrdinal where pod[path: ["status", "phase"]]?.string == "Failed" && pod.metaDeletionTimestamp == nil {
            await delete(pod)
            byOrdinal[n] = nil
        }

        // The walk stops once blocked or after a burst of creations, so a huge (valid) replica count costs a pass what
        // it creates, not a walk over two billion ordinals.
        var blocked = false
        var created = 0
        for n in wanted {
            if blocked || created >= ReplicaSetController.burst { break }
            guard let pod = byOrdinal[n] else {
                await create(ordinal: n, revision: revision)
                created += 1
                if ordered { blocked = true }
                continue
            }
            // Under OrderedReady the next ordinal waits for this one to be Running and Ready (and not terminating).
            if ordered, pod.metaDeletionTimestamp != nil || !isRunningAndReady(pod) { blocked = true }
        }

        // Condemned pods, highest ordinal first; OrderedReady takes one at a time once the rest are ready.
        let condemned = byOrdinal.keys.filter { !wanted.contains($0) }.sorted(by: >)
        if !condemned.isEmpty {
            let inProgress = condemned.contains { byOrdinal[$0]?.metaDeletionTimestamp != nil }
            let lowerReady = wanted.allSatisfy { byOrdinal[$0].map(isRunningAndReady) ?? false }
            for n in condemned {
                guard let pod = byOrdinal[n], pod.metaDeletionTimestamp == nil else { continue }
                if ordered, inProgress || !lowerReady || blocked { break }
                await delete(pod)
                await deleteClaimsIfScaledDown(ordinal: n)
                if ordered { break }
            }
        }

        // Rolling update: highest ordinal first down to the partition, one pod at a time, each once all are ready.
        if spec[path: ["updateStrategy", "type"]]?.string != "OnDelete", !blocked {
            let partition = spec.goInt32(["updateStrategy", "rollingUpdate", "partition"]) ?? 0
            let allReady = wanted.allSatisfy { byOrdinal[$0].map { isRunningAndReady($0) && $0.metaDeletionTimestamp == nil } ?? false }
            if allReady, let n = wanted.reversed().first(where: { $0 >= partition && byOrdinal[$0]?.metaLabels[StatefulSetController.hashLabel] != revision }),
               let pod = byOrdinal[n] {
                await delete(pod)
            }
        }

        try await writeStatus(byOrdinal: byOrdinal, wanted: wanted, revision: revision)
    }

    private func writeStatus(byOrdinal: [Int: JSONValue], wanted: Range<Int>, revision: String) async throws {
        let live = byOrdinal.values.filter { $0.metaDeletionTimestamp == nil }
        let updated = live.filter { $0.metaLabels[StatefulSetController.hashLabel] == revision }.count
        let ready = live.filter(isRunningAndReady).count
        let previous = sts[path: ["status", "currentRevision"]]?.string ?? ""
        let current = updated == wanted.count && live.count == wanted.count || previous.isEmpty ? revision : previous
        let currentReplicas = live.filter { $0.metaLabels[StatefulSetController.hashLabel] == current }.count
        var status: JSONValue = [
            "observedGeneration": .int(max(0, sts.goInt64(["metadata", "generation"]) ?? 1)),
            "replicas": .int(Int64(live.count)), "readyReplicas": .int(Int64(ready)), "availableReplicas": .int(Int64(ready)),
            "currentReplicas": .int(Int64(currentReplicas)), "updatedReplicas": .int(Int64(updated)),
            "currentRevision": .string(current), "updateRevision": .string(revision),
            // Kept as stored: status validation refuses a collisionCount that goes away or down.
            "collisionCount": sts[path: ["status", "collisionCount"]] ?? 0,
        ]
        status = status.droppingZeros(keep: ["replicas", "availableReplicas", "collisionCount", "observedGeneration"])
        try await Workloads.updateStatus(sts, status, store: sets, component: StatefulSetController.component)
    }

    // MARK: pods and claims

    private func create(ordinal n: Int, revision: String) async {
        let name = "\(sts.metaName)-\(n)"
        var claims: [String: String] = [:]   // volume name → claim name
        for template in spec["volumeClaimTemplates"]?.array ?? [] {
            let claimName = "\(template.metaName)-\(name)"
            claims[template.metaName] = claimName
            await ensureClaim(claimName, from: template, pod: name)
        }
        var pod = Workloads.pod(from: spec["template"] ?? .emptyObject, owner: sts, namePrefix: name,
                                extraLabels: [StatefulSetController.hashLabel: revision, StatefulSetController.podNameLabel: name,
                                              StatefulSetController.podIndexLabel: String(n)])
        pod.setMeta("generateName", nil)
        pod.setMeta("name", .string(name))
        pod[path: ["spec", "hostname"]] = .string(name)
        if let service = spec["serviceName"]?.string, !service.isEmpty { pod[path: ["spec", "subdomain"]] = .string(service) }
        if !claims.isEmpty {
            var volumes = (pod[path: ["spec", "volumes"]]?.array ?? []).filter { claims[$0["name"]?.string ?? ""] == nil }
            for (volume, claim) in claims.sorted(by: { $0.key < $1.key }) {
                volumes.append(["name": .string(volume), "persistentVolumeClaim": ["claimName": .string(claim)]])
            }
            pod[path: ["spec", "volumes"]] = .array(volumes)
        }
        do {
            _ = try await podStore.create(namespace: sts.metaNamespace, object: pod, context: context)
            await events.record(sts, reason: "SuccessfulCreate", message: "create Pod \(name) in StatefulSet \(sts.metaName) successful")
        } catch let error as StatusError where error.code == 409 {
            // The previous pod of that name is still terminating; the next pass tries again.
        } catch {
            await events.record(sts, type: "Warning", reason: "FailedCreate",
                                message: "create Pod \(name) in StatefulSet \(sts.metaName) failed error: \((error as? StatusError)?.message ?? "\(error)")")
        }
    }

    private func ensureClaim(_ name: String, from template: JSONValue, pod: String) async {
        guard (try? await claimStore.get(namespace: sts.metaNamespace, name: name)) == nil else { return }
        var labels = template[path: ["metadata", "labels"]]?.object ?? [:]
        for (k, v) in sts[path: ["spec", "selector", "matchLabels"]]?.object ?? [:] { labels[k] = v }
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(sts.metaNamespace), "labels": .object(labels)]
        if let annotations = template[path: ["metadata", "annotations"]] { metadata["annotations"] = annotations }
        if spec[path: ["persistentVolumeClaimRetentionPolicy", "whenDeleted"]]?.string == "Delete" {
            metadata["ownerReferences"] = [Workloads.ownerReference(sts, blockOwnerDeletion: true)]
        }
        let claim: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": metadata, "spec": template["spec"] ?? .emptyObject]
        do {
            _ = try await claimStore.create(namespace: sts.metaNamespace, object: claim, context: context)
            await events.record(sts, reason: "SuccessfulCreate", message: "create Claim \(name) Pod \(pod) in StatefulSet \(sts.metaName) success")
        } catch {
            await events.record(sts, type: "Warning", reason: "FailedCreate",
                                message: "create Claim \(name) for StatefulSet \(sts.metaName) failed error: \((error as? StatusError)?.message ?? "\(error)")")
        }
    }

    private func deleteClaimsIfScaledDown(ordinal n: Int) async {
        guard spec[path: ["persistentVolumeClaimRetentionPolicy", "whenScaled"]]?.string == "Delete" else { return }
        for template in spec["volumeClaimTemplates"]?.array ?? [] {
            _ = try? await claimStore.delete(namespace: sts.metaNamespace, name: "\(template.metaName)-\(sts.metaName)-\(n)",
                                             options: DeleteOptions(), context: context)
        }
    }

    private func delete(_ pod: JSONValue) async {
        var options = DeleteOptions()
        options.preconditionUID = pod.metaUID
        if (try? await podStore.delete(namespace: pod.metaNamespace, name: pod.metaName, options: options, context: context)) != nil {
            await events.record(sts, reason: "SuccessfulDelete", message: "delete Pod \(pod.metaName) in StatefulSet \(sts.metaName) successful")
        }
    }

    private func ordinal(of pod: JSONValue) -> Int? {
        let prefix = sts.metaName + "-"
        guard pod.metaName.hasPrefix(prefix) else { return nil }
        return Int(pod.metaName.dropFirst(prefix.count))
    }

    private func isRunningAndReady(_ pod: JSONValue) -> Bool {
        pod[path: ["status", "phase"]]?.string == "Running" && Workloads.isReady(pod)
    }
}
