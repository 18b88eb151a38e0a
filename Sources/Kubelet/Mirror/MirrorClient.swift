import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// What the mirror machinery needs of one running static pod.
public struct PodSnapshot: Sendable {
    public var pod: KubeletPod
    public var initStatuses: [ContainerStatusSnapshot]
    public var statuses: [ContainerStatusSnapshot]
    public var startTime: Date
    /// The pod-network IPs of a CRI pod's sandbox; empty when the pod uses the host's network.
    public var podIPs: [String] = []
    /// `kubectl debug`'s containers (status.ephemeralContainerStatuses).
    public var ephemeralStatuses: [ContainerStatusSnapshot] = []
}

/// Keeps a mirror pod in the API for every static pod (upstream's MirrorClient + status manager): created as soon
/// as the apiserver answers, recreated when deleted or when its `kubernetes.io/config.mirror` hash no longer
/// matches the file, its status patched whenever it changes, and mirrors of removed static pods deleted.
/// The static pods themselves never wait on any of this.
actor MirrorClient {
    let client: any KubernetesClient
    let nodeName: String
    let logger: Logger
    let nodeUID: @Sendable () async -> String?
    private var lastStatus: [String: JSONValue] = [:]          // static pod UID → last posted status
    private var transitions: [String: [String: (String, Date)]] = [:]
    private(set) var mirrors: [String: (namespace: String, name: String, uid: String)] = [:]   // static pod UID → mirror

    init(client: any KubernetesClient, nodeName: String, logger: Logger, nodeUID: @escaping @Sendable () async -> String?) {
        self.client = client
        self.nodeName = nodeName
        self.logger = logger
        self.nodeUID = nodeUID
    }

    func mirror(forStaticPod uid: String) -> (namespace: String, name: String, uid: String)? { mirrors[uid] }

    func reconcile(_ pods: [PodSnapshot], hostIP: String) async throws {
        let list = try await client.list(.pods, namespace: nil, options: ListOptions(fieldSelector: "spec.nodeName=\(nodeName)"))
        var existing: [String: JSONValue] = [:]
        for item in list.items { existing["\(item.metaNamespace)/\(item.metaName)"] = item }
        var wanted = Set<String>()
        for snapshot in pods {
            let pod = snapshot.pod
            let key = "\(pod.namespace)/\(pod.name)"
            wanted.insert(key)
            var current = existing[key]
            if let mirror = current {
                let hash = mirror[path: ["metadata", "annotations", KubeletPod.mirrorAnnotation]]?.string
                if hash != pod.uid || mirror[path: ["metadata", "deletionTimestamp"]] != nil {
                    logger.info(hash != pod.uid ? "mirror pod does not match its static pod; replacing it" : "mirror pod was deleted; recreating it",
                                metadata: ["pod": "\(key)"])
                    try await delete(mirror)
                    current = nil
                }
            }
            if current == nil {
                // As upstream, a mirror pod is created only once its Node is known: it is owned by the Node.
                guard let body = try await mirrorPod(pod) else {
                    logger.debug("waiting for the Node to be registered before creating the mirror pod", metadata: ["pod": "\(key)"])
                    continue
                }
                do {
                    current = try await client.create(.pods, namespace: pod.namespace, body)
                    logger.info("Created mirror pod", metadata: ["pod": "\(key)"])
                    lastStatus[pod.uid] = nil
                } catch let failure as APIError where failure.isConflictOrExists {
                    continue   // The old one is still going away; next round.
                }
            }
            guard let mirror = current else { continue }
            mirrors[pod.uid] = (pod.namespace, pod.name, mirror.metaUID)
            var t = transitions[pod.uid] ?? [:]
            let status = PodStatusBuilder.build(.init(snapshot, hostIP: hostIP), transitions: &t)
            transitions[pod.uid] = t
            if lastStatus[pod.uid] != status || mirror["status"]?["phase"] == nil {
                _ = try await client.patch(.pods, namespace: pod.namespace, name: pod.name, type: .merge, body: ["status": status],
                                           subresource: "status")
                lastStatus[pod.uid] = status
            }
        }
        let live = Set(pods.map(\.pod.uid))
        for uid in mirrors.keys where !live.contains(uid) { mirrors[uid] = nil; lastStatus[uid] = nil; transitions[uid] = nil }
        for (key, mirror) in existing where !wanted.contains(key)
            && mirror[path: ["metadata", "annotations", KubeletPod.mirrorAnnotation]] != nil {
            logger.info("Deleting mirror pod of a static pod that no longer exists", metadata: ["pod": "\(key)"])
            try await delete(mirror)
        }
    }

    private func delete(_ mirror: JSONValue) async throws {
        do {
            try await client.delete(.pods, namespace: mirror.metaNamespace, name: mirror.metaName,
                                    options: DeleteOptions(gracePeriodSeconds: 0, preconditionUID: mirror.metaUID))
        } catch let failure as APIError where failure.isNotFound || failure.isConflictOrExists {}
    }

    /// The static pod as a mirror: same spec, bound to this node, owned by the Node, marked with the hash; nil while
    /// the Node's UID is unknown.
    func mirrorPod(_ pod: KubeletPod) async throws -> JSONValue? {
        guard let uid = await nodeUID() else { return nil }
        var json = try JSONValueEncoder().encode(pod.pod)
        json["apiVersion"] = "v1"
        json["kind"] = "Pod"
        json["status"] = nil
        json[path: ["metadata", "uid"]] = nil
        json[path: ["metadata", "resourceVersion"]] = nil
        json[path: ["metadata", "creationTimestamp"]] = nil
        json[path: ["metadata", "namespace"]] = .string(pod.namespace)
        var annotations = json[path: ["metadata", "annotations"]]?.object ?? [:]
        annotations[KubeletPod.mirrorAnnotation] = .string(pod.uid)
        json[path: ["metadata", "annotations"]] = .object(annotations)
        json[path: ["metadata", "ownerReferences"]] = [["apiVersion": "v1", "kind": "Node", "name": .string(nodeName),
                                                        "uid": .string(uid), "controller": true]]
        json[path: ["spec", "nodeName"]] = .string(nodeName)
        // The API requires an image; a host-process container may have none.
        for kind in ["initContainers", "containers"] {
            guard var list = json[path: ["spec", kind]]?.array else { continue }
            for i in list.indices where (list[i]["image"]?.string ?? "").isEmpty { list[i]["image"] = "kubestrap/host-process" }
            json[path: ["spec", kind]] = .array(list)
        }
        return json
    }
}

