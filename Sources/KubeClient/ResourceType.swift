/// A REST resource as the client addresses it (client-go's GroupVersionResource plus what it needs to build paths
/// and name objects in logs: the kind and whether it lives in namespaces).
public struct ResourceType: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var version: String
    public var resource: String
    public var kind: String
    public var namespaced: Bool

    public init(group: String, version: String, resource: String, kind: String, namespaced: Bool) {
        self.group = group
        self.version = version
        self.resource = resource
        self.kind = kind
        self.namespaced = namespaced
    }

    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }

    /// `pods`, `deployments.apps`: how kubectl and upstream's logs name a resource.
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }

    /// The request path: `/api/v1/namespaces/<ns>/pods/<name>/status`. A nil or empty namespace on a namespaced
    /// resource addresses all namespaces (lists and watches only).
    public func path(namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        if namespaced, let namespace, !namespace.isEmpty { path += "/namespaces/\(PathEscaping.segment(namespace))" }
        path += "/\(resource)"
        if let name { path += "/\(PathEscaping.segment(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }
}

extension ResourceType {
    static func core(_ resource: String, _ kind: String, namespaced: Bool = true) -> ResourceType {
        ResourceType(group: "", version: "v1", resource: resource, kind: kind, namespaced: namespaced)
    }

    public static let pods = core("pods", "Pod")
    public static let nodes = core("nodes", "Node", namespaced: false)
    public static let namespaces = core("namespaces", "Namespace", namespaced: false)
    public static let services = core("services", "Service")
    public static let endpoints = core("endpoints", "Endpoints")
    public static let events = core("events", "Event")
    public static let configMaps = core("configmaps", "ConfigMap")
    public static let secrets = core("secrets", "Secret")
    public static let serviceAccounts = core("serviceaccounts", "ServiceAccount")
    public static let persistentVolumes = core("persistentvolumes", "PersistentVolume", namespaced: false)
    public static let persistentVolumeClaims = core("persistentvolumeclaims", "PersistentVolumeClaim")
    public static let resourceQuotas = core("resourcequotas", "ResourceQuota")
    public static let replicationControllers = core("replicationcontrollers", "ReplicationController")
    public static let replicaSets = ResourceType(group: "apps", version: "v1", resource: "replicasets", kind: "ReplicaSet", namespaced: true)
    public static let deployments = ResourceType(group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true)
    public static let statefulSets = ResourceType(group: "apps", version: "v1", resource: "statefulsets", kind: "StatefulSet", namespaced: true)
    public static let daemonSets = ResourceType(group: "apps", version: "v1", resource: "daemonsets", kind: "DaemonSet", namespaced: true)
    public static let horizontalPodAutoscalers = ResourceType(group: "autoscaling", version: "v2", resource: "horizontalpodautoscalers",
                                                              kind: "HorizontalPodAutoscaler", namespaced: true)
    public static let controllerRevisions = ResourceType(group: "apps", version: "v1", resource: "controllerrevisions",
                                                         kind: "ControllerRevision", namespaced: true)
    public static let jobs = ResourceType(group: "batch", version: "v1", resource: "jobs", kind: "Job", namespaced: true)
    public static let cronJobs = ResourceType(group: "batch", version: "v1", resource: "cronjobs", kind: "CronJob", namespaced: true)
    public static let leases = ResourceType(group: "coordination.k8s.io", version: "v1", resource: "leases", kind: "Lease", namespaced: true)
    public static let clusterRoles = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterroles",
                                                  kind: "ClusterRole", namespaced: false)
    public static let storageClasses = ResourceType(group: "storage.k8s.io", version: "v1", resource: "storageclasses",
                                                    kind: "StorageClass", namespaced: false)
    public static let endpointSlices = ResourceType(group: "discovery.k8s.io", version: "v1", resource: "endpointslices",
                                                    kind: "EndpointSlice", namespaced: true)
    public static let podDisruptionBudgets = ResourceType(group: "policy", version: "v1", resource: "poddisruptionbudgets",
                                                          kind: "PodDisruptionBudget", namespaced: true)
    public static let certificateSigningRequests = ResourceType(group: "certificates.k8s.io", version: "v1",
                                                                resource: "certificatesigningrequests",
                                                                kind: "CertificateSigningRequest", namespaced: false)
    public static let subjectAccessReviews = ResourceType(group: "authorization.k8s.io", version: "v1", resource: "subjectaccessreviews",
                                                          kind: "SubjectAccessReview", namespaced: false)
    public static let customResourceDefinitions = ResourceType(group: "apiextensions.k8s.io", version: "v1",
                                                               resource: "customresourcedefinitions",
                                                               kind: "CustomResourceDefinition", namespaced: false)
}

/// Percent-encoding for path segments and query values (RFC 3986 unreserved characters pass).
public enum PathEscaping {
    public static func segment(_ text: String) -> String { escape(text) }

    public static func query(_ items: [(String, String)]) -> String {
        items.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
