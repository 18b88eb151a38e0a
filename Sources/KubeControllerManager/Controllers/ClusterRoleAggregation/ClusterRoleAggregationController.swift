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
        guard let json = roles.cache.get(name), json[path: ["aggregationRule", "clusterRoleSelectors"]] != nil else { return }
        do {
            let role: Typed<ClusterRole> = try Workloads.typed(json)
            // upstream cannot build a selector from an unknown operator: that selector matches no role.
            let selectors = (role.object.aggregationRule?.clusterRoleSelectors ?? []).compactMap { $0.asSelector() }
            var rules: [PolicyRule] = []
            for other in roles.cache.list().sorted(by: { $0.metaName < $1.metaName }) where other.metaName != name {
                guard selectors.contains(where: { $0.matches(other.metaLabels) }) else { continue }
                // A matched role that does not decode stops the aggregation: its rules would silently go missing.
                for rule in try Workloads.typed(other, as: ClusterRole.self).object.rules ?? [] where !rules.contains(rule) {
                    rules.append(rule)
                }
            }
            if role.object.rules ?? [] == rules { return }
            _ = try await context.client.update(.clusterRoles, role.modified { $0.rules = rules })
        } catch let error as UndecodableObject {
            context.logger.warning("clusterrole-aggregation-controller: skipping \(name): \(error)")
        } catch let error as APIError where error.isNotFound {}
    }
}
