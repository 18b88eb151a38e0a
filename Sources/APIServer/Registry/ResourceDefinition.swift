import KubeAPI
import KubeJSON

/// Converts between a served version and the stored one (upstream stores one version per resource and converts).
public protocol StorageConversion: Sendable {
    func toStorage(_ object: JSONValue) -> JSONValue
    func fromStorage(_ object: JSONValue) -> JSONValue
}

/// One REST resource the server serves: its names for discovery, its strategy, its table columns and its schema.
public struct ResourceDefinition: Sendable {
    public var group: String
    public var version: String
    /// Plural, as in the URL: `pods`, `clusterrolebindings`.
    public var resource: String
    public var singular: String
    public var kind: String
    public var namespaced: Bool
    public var shortNames: [String] = []
    public var categories: [String] = []
    public var verbs: [String] = ResourceDefinition.allVerbs
    public var strategy: any ResourceStrategy
    public var columns: [TableColumn] = TableColumn.nameAge
    public var schema: Schema?
    /// Virtual resources (access reviews) are created and answered, never stored.
    public var isVirtual = false
    /// Set when this version is stored in another version's form (events.k8s.io/v1 Events live as core/v1 Events).
    public var storageConversion: (any StorageConversion)?
    /// Subresources served by their own handlers (`pods/log`, `serviceaccounts/token`); `status` follows from the strategy.
    public var subresources: [Subresource] = []
    /// The CustomResourceDefinition that serves this resource; nil for built-ins.
    public var owner: String?
    /// The published OpenAPI v3 schema of a custom resource (its CRD's `openAPIV3Schema`), for `/openapi` documents.
    public var openAPISchema: JSONValue?
    /// The definition name `/openapi` uses: `io.k8s.api.core.v1.Pod`, or for a custom resource the reversed group
    /// (`com.example.stable.v1.CronTab`), as upstream names them.
    public var openAPIName: String {
        guard owner != nil else { return Schemas.definitionName(kind: kind, group: group, version: version) }
        return group.split(separator: ".").reversed().joined(separator: ".") + ".\(version).\(kind)"
    }

    /// A subresource as discovery lists it: its name and the kind its verbs answer with.
    public struct Subresource: Sendable {
        public var name: String
        public var group: String
        public var version: String
        public var kind: String
        public var verbs: [String]
    }

    public static let allVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    public init(group: String, version: String, resource: String, singular: String, kind: String, namespaced: Bool,
                strategy: any ResourceStrategy) {
        self.group = group
        self.version = version
        self.resource = resource
        self.singular = singular
        self.kind = kind
        self.namespaced = namespaced
        self.strategy = strategy
    }

    public var groupResource: GroupResource { GroupResource(group: group, resource: resource) }
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    public var groupVersion: String { apiVersion }
    public var hasStatus: Bool { strategy.hasStatusSubresource }

    /// `/registry/<resource>/` (cluster-scoped) — storage keys keep one object per key, as upstream lays out etcd.
    public var keyRoot: String {
        // As upstream: built-in kinds by resource (`/registry/deployments/`, ingresses under `/registry/ingress/`,
        // nodes under `/registry/minions/`, services and endpoints under `/registry/services/specs|endpoints/`),
        // CRDs and custom resources by group (`/registry/stable.example.com/crontabs/`).
        if owner != nil || group == "apiextensions.k8s.io" || group == "apiregistration.k8s.io" { return "/registry/\(group)/\(resource)/" }
        switch (group, resource) {
        case ("networking.k8s.io", "ingresses"): return "/registry/ingress/"
        // The names kept from Kubernetes' first releases (what `etcdctl get --prefix /registry/ --keys-only` shows).
        case ("", "nodes"): return "/registry/minions/"
        case ("", "services"): return "/registry/services/specs/"
        case ("", "endpoints"): return "/registry/services/endpoints/"
        default: return "/registry/\(resource)/"
        }
    }

    public func key(namespace: String, name: String) -> String {
        namespaced ? "\(keyRoot)\(namespace)/\(name)" : "\(keyRoot)\(name)"
    }

    public func prefix(namespace: String) -> String {
        namespaced && !namespace.isEmpty ? "\(keyRoot)\(namespace)/" : keyRoot
    }
}
