import KubeJSON
import KubeStorage

/// NamespaceLifecycle: nothing is created in a namespace that does not exist or is terminating, and the
/// system namespaces cannot be deleted.
struct NamespaceLifecycle: AdmissionPlugin {
    let storage: any StorageBackend
    var name: String { "NamespaceLifecycle" }
    static let immortal: Set<String> = ["default", "kube-system", "kube-public"]

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        if resource.resource == "namespaces", resource.group.isEmpty, operation == .delete,
           Self.immortal.contains(object.metaName) {
            throw StatusError.forbidden("namespaces \"\(object.metaName)\" is forbidden: this namespace may not be deleted",
                                        resource: resource.groupResource, name: object.metaName)
        }
        guard operation == .create, resource.namespaced, !namespace.isEmpty else { return }
        guard let kv = try await storage.get("/registry/namespaces/\(namespace)") else {
            throw StatusError.notFound(GroupResource(group: "", resource: "namespaces"), namespace)
        }
        if let ns = try? JSONParser.parse(kv.value), ns.metaDeletionTimestamp != nil,
           !(resource.group.isEmpty && resource.resource == "events") {
            throw StatusError.forbidden("\(resource.groupResource) \"\(object.metaName)\" is forbidden: unable to create new content in namespace \(namespace) because it is being terminated",
                                        resource: resource.groupResource, name: object.metaName)
        }
    }
}

/// NodeRestriction: a node may only create mirror pods bound to itself (referencing no Secret, ConfigMap, claim or
/// service account), change its own Node and the pods bound to it, and its own Lease.
struct NodeRestriction: AdmissionPlugin {
    var name: String { "NodeRestriction" }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard let node = context.user.nodeName else { return }
        func forbid(_ why: String) -> StatusError {
            .forbidden("\(resource.groupResource) \"\(object.metaName)\" is forbidden: \(why)", resource: resource.groupResource,
                       name: object.metaName)
        }
        switch (resource.group, resource.resource) {
        case ("", "nodes"):
            if object.metaName != node { throw forbid("node \"\(node)\" is not allowed to modify node \"\(object.metaName)\"") }
        case ("", "pods"):
            let bound = (old ?? object)[path: ["spec", "nodeName"]]?.string ?? ""
            if operation == .create {
                if object[path: ["metadata", "annotations", "kubernetes.io/config.mirror"]] == nil {
                    throw forbid("pod does not have \"kubernetes.io/config.mirror\" annotation, node \"\(node)\" can only create mirror pods")
                }
                if object[path: ["spec", "nodeName"]]?.string != node {
                    throw forbid("node \"\(node)\" can only create pods with spec.nodeName set to itself")
                }
                // A pod the node made must not reach other objects: the Node authorizer would follow its references.
                let references = NodeGraph.edges(object)?.references ?? []
                for (kind, words) in [("serviceaccounts", "a service account"), ("secrets", "secrets"), ("configmaps", "configmaps"),
                                      ("persistentvolumeclaims", "persistentvolumeclaims")]
                where references.contains(where: { $0.resource == kind }) {
                    throw forbid("node \"\(node)\" can not create pods that reference \(words)")
                }
            } else if bound != node {
                throw forbid("node \"\(node)\" can only \(operation == .delete ? "delete" : "update") pods with spec.nodeName set to itself")
            }
        case ("coordination.k8s.io", "leases"):
            if namespace != "kube-node-lease" || object.metaName != node {
                throw forbid("can only access node lease with the same name as the requesting node")
            }
        default: break
        }
    }
}

/// DefaultTolerationSeconds: pods tolerate not-ready/unreachable nodes for 300 s.
struct DefaultTolerationSeconds: AdmissionPlugin {
    var name: String { "DefaultTolerationSeconds" }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .create, resource.group.isEmpty, resource.resource == "pods" else { return }
        var tolerations = object[path: ["spec", "tolerations"]]?.array ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
        where !tolerations.contains(where: { $0["key"]?.string == key || ($0["key"] == nil && $0["operator"]?.string == "Exists") }) {
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300])
        }
        object[path: ["spec", "tolerations"]] = .array(tolerations)
    }
}

/// Allocates Service cluster IPs from --service-cluster-ip-range (the first address belongs to `kubernetes`).
actor ServiceIPAllocator: AdmissionPlugin {
    nonisolated var name: String { "ServiceIPAllocator" }
    let range: IPv4Range
    private var used: Set<UInt32> = []
    private var next: UInt32

    init(range: IPv4Range) {
        self.range = range
        next = range.first + 2
    }

    func load(_ ips: [String]) {
        for ip in ips { if let v = IPv4Range.parseAddress(ip) { used.insert(v) } }
    }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard resource.group.isEmpty, resource.resource == "services" else { return }
        switch operation {
        case .create:
            if object[path: ["spec", "type"]]?.string == "ExternalName" { return }
            let requested = object[path: ["spec", "clusterIP"]]?.string ?? ""
            if requested == "None" {
                object[path: ["spec", "clusterIPs"]] = ["None"]
            } else {
                let ip: UInt32
                if !requested.isEmpty {
                    guard let v = IPv4Range.parseAddress(requested), range.contains(v) else {
                        throw StatusError.invalid(kind: "Service", group: "", name: object.metaName, [
                            .invalid("spec.clusterIPs[0]", requested, "provided IP is not in the valid range. The range of valid IPs is \(range)")])
                    }
                    guard !used.contains(v) || context.dryRun else {
                        throw StatusError.invalid(kind: "Service", group: "", name: object.metaName, [
                            .invalid("spec.clusterIPs[0]", requested, "failed to allocate IP \(requested): provided IP is already allocated")])
                    }
                    ip = v
                } else {
                    guard let v = allocate() else {
                        throw StatusError.internalError("failed to allocate a serviceIP: range is full")
                    }
                    ip = v
                }
                if !context.dryRun { used.insert(ip) }
                let text = IPv4Range.format(ip)
                object[path: ["spec", "clusterIP"]] = .string(text)
                object[path: ["spec", "clusterIPs"]] = [.string(text)]
            }
            object[path: ["spec", "ipFamilies"]] = ["IPv4"]
            object[path: ["spec", "ipFamilyPolicy"]] = "SingleStack"
        case .delete:
            if !context.dryRun, let ip = object[path: ["spec", "clusterIP"]]?.string.flatMap(IPv4Range.parseAddress) {
                used.remove(ip)
            }
        case .update:
            break
        }
    }

    private func allocate() -> UInt32? {
        let size = range.last - range.first
        guard size > 2 else { return nil }
        for _ in 0..<size {
            let candidate = next
            next = next >= range.last - 1 ? range.first + 1 : next + 1
            if !used.contains(candidate) { return candidate }
        }
        return nil
    }
}

/// An IPv4 CIDR such as 10.96.0.0/12.
public struct IPv4Range: Sendable, CustomStringConvertible {
    public let first: UInt32
    public let last: UInt32
    public let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let base = Self.parseAddress(String(parts[0])), let bits = Int(parts[1]), (1...30).contains(bits) else { return nil }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << UInt32(32 - bits)
        first = base & mask
        last = first | ~mask
        prefix = bits
    }

    public var description: String { "\(Self.format(first))/\(prefix)" }
    public func contains(_ ip: UInt32) -> Bool { ip > first && ip < last }
    /// The first usable address: the `kubernetes` Service's ClusterIP (10.96.0.1).
    public var firstUsable: String { Self.format(first + 1) }

    public static func parseAddress(_ s: String) -> UInt32? {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var v: UInt32 = 0
        for o in octets {
            guard let n = UInt32(o), n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    public static func format(_ v: UInt32) -> String { "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)" }
}
