import KubeJSON
import KubeStorage
import Logging

/// RBAC over the Role/ClusterRole/RoleBinding/ClusterRoleBinding objects in the store, kept in memory and
/// refreshed by watching their keys, so that authorizing a request reads no storage.
public actor RBACAuthorizer: Authorizer {
    struct Rule: Sendable {
        var verbs: Set<String>
        var apiGroups: Set<String>
        var resources: Set<String>
        var resourceNames: Set<String>
        var nonResourceURLs: [String]

        init(_ json: JSONValue) {
            func set(_ key: String) -> Set<String> { Set(json[key]?.array?.compactMap(\.string) ?? []) }
            verbs = set("verbs")
            apiGroups = set("apiGroups")
            resources = set("resources")
            resourceNames = set("resourceNames")
            nonResourceURLs = json["nonResourceURLs"]?.array?.compactMap(\.string) ?? []
        }

        func allows(_ a: AuthorizationAttributes) -> Bool {
            guard verbs.contains("*") || verbs.contains(a.verb) else { return false }
            if !a.isResourceRequest {
                return nonResourceURLs.contains { url in
                    url == "*" || url == a.path || (url.hasSuffix("*") && a.path.hasPrefix(String(url.dropLast())))
                }
            }
            guard apiGroups.contains("*") || apiGroups.contains(a.apiGroup) else { return false }
            let combined = a.subresource.isEmpty ? a.resource : "\(a.resource)/\(a.subresource)"
            let resourceOK = resources.contains("*") || resources.contains(combined)
                || (!a.subresource.isEmpty && resources.contains("*/\(a.subresource)"))
                || (a.subresource.isEmpty ? false : resources.contains("\(a.resource)/*"))
            guard resourceOK else { return false }
            return resourceNames.isEmpty || resourceNames.contains(a.name)
        }
    }

    struct Binding: Sendable {
        var namespace: String
        var roleKind: String
        var roleName: String
        var subjects: [(kind: String, name: String, namespace: String)]

        init(_ json: JSONValue) {
            namespace = json.metaNamespace
            roleKind = json[path: ["roleRef", "kind"]]?.string ?? ""
            roleName = json[path: ["roleRef", "name"]]?.string ?? ""
            subjects = (json["subjects"]?.array ?? []).map {
                ($0["kind"]?.string ?? "", $0["name"]?.string ?? "", $0["namespace"]?.string ?? "")
            }
        }

        func applies(to user: UserInfo, bindingNamespace: String) -> Bool {
            subjects.contains { s in
                switch s.kind {
                case "User": return s.name == user.name
                case "Group": return user.groups.contains(s.name)
                case "ServiceAccount":
                    let ns = s.namespace.isEmpty ? bindingNamespace : s.namespace
                    return user.name == "system:serviceaccount:\(ns):\(s.name)"
                default: return false
                }
            }
        }
    }

    private let storage: any StorageBackend
    private let logger: Logger
    private var clusterRoles: [String: [Rule]] = [:]
    private var roles: [String: [Rule]] = [:]            // "<ns>/<name>"
    private var clusterRoleBindings: [String: Binding] = [:]
    private var roleBindings: [String: Binding] = [:]    // "<ns>/<name>"
    private var watchTasks: [Task<Void, Never>] = []

    public init(storage: any StorageBackend, logger: Logger) {
        self.storage = storage
        self.logger = logger
    }

    /// Loads everything and keeps following changes until `stop()`. A watch that ends (a watcher left too far
    /// behind, an etcd connection lost) is replaced by a fresh list and watch, so the cache never goes stale.
    public func start() async throws {
        for kind in Kind.allCases {
            let result = try await storage.range(prefix: kind.prefix, startAfter: nil, limit: 0)
            load(kind, result.kvs)
            let stream = try await storage.watch(prefix: kind.prefix, afterRevision: result.revision)
            watchTasks.append(Task { [weak self, storage, logger] in
                var current: AsyncThrowingStream<[StorageEvent], any Error>? = stream
                while !Task.isCancelled {
                    do {
                        if current == nil {
                            let relisted = try await storage.range(prefix: kind.prefix, startAfter: nil, limit: 0)
                            await self?.load(kind, relisted.kvs)
                            current = try await storage.watch(prefix: kind.prefix, afterRevision: relisted.revision)
                        }
                        if let events = current {
                            for try await batch in events {
                                for event in batch {
                                    await self?.apply(kind, key: event.kv.key, value: event.type == .put ? event.kv.value : nil)
                                }
                            }
                        }
                        if Task.isCancelled { return }
                        logger.info("RBAC cache: the watch on \(kind.prefix) ended; relisting")
                    } catch {
                        if Task.isCancelled { return }
                        logger.warning("RBAC cache: following \(kind.prefix) failed: \(error); relisting")
                        try? await Task.sleep(for: .milliseconds(500))
                    }
                    current = nil
                }
            })
        }
    }

    /// Replaces everything of one kind with a fresh list.
    private func load(_ kind: Kind, _ kvs: [KeyValue]) {
        switch kind {
        case .clusterRoles: clusterRoles = [:]
        case .roles: roles = [:]
        case .clusterRoleBindings: clusterRoleBindings = [:]
        case .roleBindings: roleBindings = [:]
        }
        for kv in kvs { apply(kind, key: kv.key, value: kv.value) }
    }

    public func stop() {
        for task in watchTasks { task.cancel() }
        watchTasks = []
    }

    enum Kind: CaseIterable {
        case clusterRoles, roles, clusterRoleBindings, roleBindings
        var prefix: String {
            switch self {
            case .clusterRoles: return "/registry/clusterroles/"
            case .roles: return "/registry/roles/"
            case .clusterRoleBindings: return "/registry/clusterrolebindings/"
            case .roleBindings: return "/registry/rolebindings/"
            }
        }
    }

    private func apply(_ kind: Kind, key: String, value: [UInt8]?) {
        let id = String(key.dropFirst(kind.prefix.count))
        let json = value.flatMap { try? JSONParser.parse($0) }
        switch kind {
        case .clusterRoles: clusterRoles[id] = json.map { ($0["rules"]?.array ?? []).map(Rule.init) }
        case .roles: roles[id] = json.map { ($0["rules"]?.array ?? []).map(Rule.init) }
        case .clusterRoleBindings: clusterRoleBindings[id] = json.map(Binding.init)
        case .roleBindings: roleBindings[id] = json.map(Binding.init)
        }
    }

    public func authorize(_ a: AuthorizationAttributes) -> AuthorizationDecision {
        for binding in clusterRoleBindings.values where binding.applies(to: a.user, bindingNamespace: "") {
            if (clusterRoles[binding.roleName] ?? []).contains(where: { $0.allows(a) }) { return .allow }
        }
        if a.isResourceRequest, !a.namespace.isEmpty {
            for binding in roleBindings.values where binding.namespace == a.namespace && binding.applies(to: a.user, bindingNamespace: binding.namespace) {
                let rules = binding.roleKind == "ClusterRole" ? clusterRoles[binding.roleName] : roles["\(a.namespace)/\(binding.roleName)"]
                if (rules ?? []).contains(where: { $0.allows(a) }) { return .allow }
            }
        }
        return .noOpinion("")
    }

    /// Every rule that applies to `user` in `namespace` (for SelfSubjectRulesReview / `kubectl auth can-i --list`).
    public func rules(for user: UserInfo, namespace: String) -> [JSONValue] {
        var out: [Rule] = []
        for binding in clusterRoleBindings.values where binding.applies(to: user, bindingNamespace: "") {
            out += clusterRoles[binding.roleName] ?? []
        }
        for binding in roleBindings.values where binding.namespace == namespace && binding.applies(to: user, bindingNamespace: namespace) {
            out += (binding.roleKind == "ClusterRole" ? clusterRoles[binding.roleName] : roles["\(namespace)/\(binding.roleName)"]) ?? []
        }
        return out.map { r in
            var json: JSONValue = ["verbs": .array(r.verbs.sorted().map { .string($0) })]
            if !r.nonResourceURLs.isEmpty { json["nonResourceURLs"] = .array(r.nonResourceURLs.map { .string($0) }) }
            if !r.apiGroups.isEmpty { json["apiGroups"] = .array(r.apiGroups.sorted().map { .string($0) }) }
            if !r.resources.isEmpty { json["resources"] = .array(r.resources.sorted().map { .string($0) }) }
            if !r.resourceNames.isEmpty { json["resourceNames"] = .array(r.resourceNames.sorted().map { .string($0) }) }
            return json
        }
    }
}
