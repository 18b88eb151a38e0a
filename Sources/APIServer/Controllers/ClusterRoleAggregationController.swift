import KubeJSON
import KubeStorage
import Logging

/// upstream's clusterrole-aggregation controller (kube-controller-manager), in process: a ClusterRole with an
/// `aggregationRule` gets the rules of every ClusterRole its selectors match, so a CRD's operator can extend admin,
/// edit and view with a labelled ClusterRole (`rbac.authorization.k8s.io/aggregate-to-edit: "true"`).
actor ClusterRoleAggregationController: InProcessController {
    private let logger: Logger
    private var task: Task<Void, Never>?

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = self.logger
        let reflector = StorageReflector(storage: server.storage, prefix: "/registry/clusterroles/", logger: logger)
        task = Task {
            // Any change may change an aggregate; aggregates are few, so each event recomputes them all.
            await reflector.run { _ in await Self.aggregateAll(server: server, logger: logger) }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    static func aggregateAll(server: APIServer, logger: Logger) async {
        guard let store = server.store("rbac.authorization.k8s.io", "v1", "clusterroles"),
              let list = try? await store.list(namespace: "", options: ListOptions()) else { return }
        let context = RequestContext(user: UserInfo(name: "system:kube-controller-manager", groups: ["system:masters"]))
        for role in list.items {
            guard let selectors = role[path: ["aggregationRule", "clusterRoleSelectors"]]?.array else { continue }
            let parsed = selectors.compactMap(LabelSelector.init(labelSelector:))
            var rules: [JSONValue] = []
            for other in list.items.sorted(by: { $0.metaName < $1.metaName }) where other.metaName != role.metaName {
                guard parsed.contains(where: { $0.matches(other.metaLabels) }) else { continue }
                for rule in other["rules"]?.array ?? [] where !rules.contains(rule) { rules.append(rule) }
            }
            if role["rules"]?.array ?? [] == rules { continue }
            let aggregated = rules
            do {
                _ = try await store.guaranteedUpdate(namespace: "", name: role.metaName, context: context) { current in
                    guard var updated = current else { throw StatusError.notFound(GroupResource(group: "rbac.authorization.k8s.io", resource: "clusterroles"), role.metaName) }
                    updated["rules"] = .array(aggregated)
                    return updated
                }
                logger.debug("aggregated ClusterRole \(role.metaName): \(aggregated.count) rules")
            } catch let error as StatusError where error.code == 404 {
            } catch {
                logger.warning("clusterrole-aggregation controller: \(role.metaName): \(error)")
            }
        }
    }
}
