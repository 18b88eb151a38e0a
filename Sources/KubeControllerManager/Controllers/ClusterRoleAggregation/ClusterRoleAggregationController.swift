import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// upstream's clusterrole-aggregation controller: a ClusterRole with an `aggregationRule` gets the rules of every
/// ClusterRole its selectors match, so an operator can extend admin, edit and view with a labelled ClusterRole
/// (`rbac.authorization.k8s.io/aggregate-to-edit: "true"`). Any change to a role queues every aggregating role (they
/// are few), as upstream does.
struct ClusterRoleAggregationController: Controller {
    let context: ControllerContext
    let roles: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        roles = ObjectStore(.clusterRoles, context: context)
        worker = QueueWorker(name: "ClusterRoleAggregator", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue, cache = roles.cache
        roles.informer.addEventHandler(.any { _ in
            for role in cache.list() where role[path: ["aggregationRule", "clusterRoleSelectors"]] != nil { queue.add(role.metaName) }
        })
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ name: String) async throws {
        guard let role = roles.cache.get(name), let selectors = role[path: ["aggregationRule", "clusterRoleSelectors"]]?.array else { return }
        let parsed = selectors.compactMap { (try? LabelSelector(json: $0))?.asSelector() }
        var rules: [JSONValue] = []
        for other in roles.cache.list().sorted(by: { $0.metaName < $1.metaName }) where other.metaName != name {
            guard parsed.contains(where: { $0.matches(other.metaLabels) }) else { continue }
            for rule in other["rules"]?.array ?? [] where !rules.contains(rule) { rules.append(rule) }
        }
        if role["rules"]?.array ?? [] == rules { return }
        var updated = role
        updated["rules"] = .array(rules)
        do {
            _ = try await context.client.update(.clusterRoles, updated)
        } catch let error as APIError where error.isNotFound {}
    }
}
