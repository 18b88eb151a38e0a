import KubeJSON
import KubeStorage
import Logging

/// What the Node authorizer lets a node read, as upstream's graph of pods, secrets, configmaps, claims and volumes:
/// every pod bound to a node (spec.nodeName) links the node to the Secrets, ConfigMaps, PersistentVolumeClaims and
/// ServiceAccount it references, and a bound claim links on to its PersistentVolume. It is fed from the storage
/// (pods and claims, listed then watched, relisted when a watch ends) so that authorizing reads nothing; its size
/// follows the pods that are bound (a few references each), not the objects they name.
actor NodeGraph {
    /// An object a node may reach: `resource` is the API's plural.
    struct Reference: Hashable, Sendable {
        var resource: String
        var namespace: String
        var name: String
    }

    struct PodEdges: Equatable, Sendable {
        var node: String
        var references: Set<Reference>
    }

    static let podPrefix = "/registry/pods/"
    static let claimPrefix = "/registry/persistentvolumeclaims/"

    private let logger: Logger
    /// By pod storage key.
    private var pods: [String: PodEdges] = [:]
    /// For each node, how many of its pods reference each object.
    private var reachable: [String: [Reference: Int]] = [:]
    /// A bound claim's volume, by claim storage key.
    private var claimVolumes: [String: String] = [:]
    private var tasks: [Task<Void, Never>] = []

    init(logger: Logger) { self.logger = logger }

    /// Reads every pod and claim before returning, then follows their changes until `stop`.
    func start(storage: any StorageBackend) async {
        if let list = try? await storage.range(prefix: Self.podPrefix, startAfter: nil, limit: 0) { replacePods(list.kvs) }
        if let list = try? await storage.range(prefix: Self.claimPrefix, startAfter: nil, limit: 0) { replaceClaims(list.kvs) }
        let podReflector = StorageReflector(storage: storage, prefix: Self.podPrefix, logger: logger)
        tasks.append(Task {
            await podReflector.run(relisted: { kvs in await self.replacePods(kvs) }) { event in
                await self.setPod(key: event.kv.key, event.type == .put ? event.object : nil)
            }
        })
        let claimReflector = StorageReflector(storage: storage, prefix: Self.claimPrefix, logger: logger)
        tasks.append(Task {
            await claimReflector.run(relisted: { kvs in await self.replaceClaims(kvs) }) { event in
                await self.setClaim(key: event.kv.key, event.type == .put ? event.object : nil)
            }
        })
    }

    func stop() {
        for task in tasks { task.cancel() }
        tasks = []
    }

    /// Whether a pod bound to `node` references the object (for a PersistentVolume: through a claim bound to it).
    func hasPath(from node: String, to reference: Reference) -> Bool {
        guard let objects = reachable[node] else { return false }
        if reference.resource == "persistentvolumes" {
            return objects.keys.contains { ref in
                ref.resource == "persistentvolumeclaims"
                    && claimVolumes["\(Self.claimPrefix)\(ref.namespace)/\(ref.name)"] == reference.name
            }
        }
        return (objects[reference] ?? 0) > 0
    }

    func replacePods(_ kvs: [KeyValue]) {
        pods = [:]
        reachable = [:]
        for kv in kvs { setPod(key: kv.key, try? JSONParser.parse(kv.value)) }
    }

    func replaceClaims(_ kvs: [KeyValue]) {
        claimVolumes = [:]
        for kv in kvs { setClaim(key: kv.key, try? JSONParser.parse(kv.value)) }
    }

    func setClaim(key: String, _ claim: JSONValue?) {
        let volume = claim?[path: ["spec", "volumeName"]]?.string ?? ""
        claimVolumes[key] = volume.isEmpty ? nil : volume
    }

    /// Replaces what the pod at `key` linked (nil: it was deleted).
    func setPod(key: String, _ pod: JSONValue?) {
        let edges = pod.flatMap(Self.edges)
        let old = pods[key]
        guard old != edges else { return }
        if let old {
            var objects = reachable[old.node] ?? [:]
            for ref in old.references {
                let count = (objects[ref] ?? 0) - 1
                objects[ref] = count > 0 ? count : nil
            }
            reachable[old.node] = objects.isEmpty ? nil : objects
        }
        if let edges {
            var objects = reachable[edges.node] ?? [:]
            for ref in edges.references { objects[ref, default: 0] += 1 }
            reachable[edges.node] = objects
        }
        pods[key] = edges
    }

    /// What a bound pod links its node to (upstream's VisitPodSecretNames, VisitPodConfigmapNames, its claims and
    /// service account); nil for a pod not bound to a node.
    static func edges(_ pod: JSONValue) -> PodEdges? {
        guard let node = pod[path: ["spec", "nodeName"]]?.string, !node.isEmpty else { return nil }
        let namespace = pod.metaNamespace
        var refs: Set<Reference> = []
        func add(_ resource: String, _ name: JSONValue?) {
            guard let name = name?.string, !name.isEmpty else { return }
            refs.insert(Reference(resource: resource, namespace: namespace, name: name))
        }
        let spec = pod["spec"] ?? .emptyObject
        add("serviceaccounts", spec["serviceAccountName"])
        for secret in spec["imagePullSecrets"]?.array ?? [] { add("secrets", secret["name"]) }
        let containers = ["initContainers", "containers", "ephemeralContainers"].flatMap { spec[$0]?.array ?? [] }
        for container in containers {
            for source in container["envFrom"]?.array ?? [] {
                add("configmaps", source[path: ["configMapRef", "name"]])
                add("secrets", source[path: ["secretRef", "name"]])
            }
            for variable in container["env"]?.array ?? [] {
                add("configmaps", variable[path: ["valueFrom", "configMapKeyRef", "name"]])
                add("secrets", variable[path: ["valueFrom", "secretKeyRef", "name"]])
            }
        }
        for volume in spec["volumes"]?.array ?? [] {
            add("secrets", volume[path: ["secret", "secretName"]])
            add("configmaps", volume[path: ["configMap", "name"]])
            add("persistentvolumeclaims", volume[path: ["persistentVolumeClaim", "claimName"]])
            if volume["ephemeral"] != nil, let name = volume["name"]?.string {
                // A generic ephemeral volume's claim is named after the pod and the volume.
                add("persistentvolumeclaims", .string("\(pod.metaName)-\(name)"))
            }
            for source in volume[path: ["projected", "sources"]]?.array ?? [] {
                add("secrets", source[path: ["secret", "name"]])
                add("configmaps", source[path: ["configMap", "name"]])
            }
            // Volume plugins that log in with a secret of the pod's namespace.
            for plugin in ["azureFile"] { add("secrets", volume[path: [plugin, "secretName"]]) }
            for plugin in ["cephfs", "cinder", "flexVolume", "iscsi", "rbd", "scaleIO", "storageos"] {
                add("secrets", volume[path: [plugin, "secretRef", "name"]])
            }
            add("secrets", volume[path: ["csi", "nodePublishSecretRef", "name"]])
        }
        return PodEdges(node: node, references: refs)
    }
}
