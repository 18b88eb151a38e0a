import KubeAPI
import KubeJSON
import Logging

/// Upstream's autoregister and crdregistration controllers: an APIService with no Service for every group/version
/// this server serves itself (`v1.`, `v1.apps`, …), so `kubectl get apiservices` lists them as on a kubeadm cluster.
/// Built-in ones are created when missing at start and left alone after (`automanaged: onstart`); those of
/// CustomResourceDefinitions follow the CRDs (`automanaged: "true"`): created, corrected and deleted with them.
enum LocalAPIServices {
    static let automanagedLabel = "kube-aggregator.kubernetes.io/automanaged"

    /// kube-apiserver's priorities for its built-in group/versions (group, then version within the group).
    static let priorities: [String: (group: Int32, version: Int32)] = [
        "/v1": (18000, 1),
        "apiregistration.k8s.io/v1": (18000, 15),
        "apps/v1": (17800, 15),
        "events.k8s.io/v1": (17750, 15),
        "authentication.k8s.io/v1": (17700, 15),
        "authorization.k8s.io/v1": (17600, 15),
        "autoscaling/v2": (17500, 30),
        "autoscaling/v1": (17500, 15),
        "batch/v1": (17400, 15),
        "certificates.k8s.io/v1": (17300, 15),
        "networking.k8s.io/v1": (17200, 15),
        "policy/v1": (17100, 15),
        "rbac.authorization.k8s.io/v1": (17000, 15),
        "storage.k8s.io/v1": (16800, 15),
        "admissionregistration.k8s.io/v1": (16700, 15),
        "apiextensions.k8s.io/v1": (16700, 15),
        "scheduling.k8s.io/v1": (16600, 15),
        "coordination.k8s.io/v1": (16500, 15),
        "node.k8s.io/v1": (16300, 15),
        "discovery.k8s.io/v1": (16200, 15),
        "flowcontrol.apiserver.k8s.io/v1": (16100, 21),
    ]
    /// What crdregistration gives every CustomResourceDefinition's group/version: below every built-in group.
    static let customResourcePriority: (group: Int32, version: Int32) = (1000, 100)

    static func name(group: String, version: String) -> String { "\(version).\(group)" }

    /// The local APIServices the catalog calls for, by name, with whether they follow a CRD.
    static func desired(_ catalog: ResourceCatalog) -> [String: (object: JSONValue, followsCRD: Bool)] {
        var result: [String: (object: JSONValue, followsCRD: Bool)] = [:]
        for def in catalog.definitions {
            let name = name(group: def.group, version: def.version)
            guard result[name] == nil else { continue }
            let followsCRD = def.owner != nil
            let priority = followsCRD ? customResourcePriority
                : priorities["\(def.group)/\(def.version)"] ?? (group: 16000, version: 15)
            let object: JSONValue = [
                "apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
                "metadata": ["name": .string(name), "labels": [automanagedLabel: .string(followsCRD ? "true" : "onstart")]],
                "spec": ["group": .string(def.group), "version": .string(def.version),
                         "groupPriorityMinimum": .int(Int64(priority.group)), "versionPriority": .int(Int64(priority.version))],
            ]
            result[name] = (object, followsCRD)
        }
        return result
    }

    /// One pass of the autoregister controller against the stored APIServices.
    static func sync(server: APIServer, logger: Logger) async {
        guard let store = server.store("apiregistration.k8s.io", "v1", "apiservices") else { return }
        let context = RequestContext(user: UserInfo(name: "system:apiserver", groups: ["system:masters"]))
        let desired = desired(server.catalog)
        var existing: [String: JSONValue] = [:]
        do {
            for item in try await store.list(namespace: "", options: ListOptions()).items { existing[item.metaName] = item }
        } catch {
            logger.warning("autoregister: listing APIServices: \(error)")
            return
        }
        for (name, want) in desired.sorted(by: { $0.key < $1.key }) {
            do {
                guard let current = existing[name] else {
                    _ = try await store.create(namespace: "", object: want.object, context: context)
                    continue
                }
                // A built-in one is only created; one of a CRD is kept as the CRD says unless an admin took it over
                // (removed the label), as upstream's sync mode does.
                guard want.followsCRD, current[path: ["metadata", "labels", automanagedLabel]]?.string == "true",
                      current["spec"] != want.object["spec"] else { continue }
                var updated = current
                updated["spec"] = want.object["spec"]
                _ = try await store.update(namespace: "", name: name, object: updated, context: context)
            } catch let error as StatusError where error.code == 409 {
                // Created or changed meanwhile (another apiserver, a client): the next pass looks again.
            } catch {
                logger.warning("autoregister: APIService \(name): \(error)")
            }
        }
        for (name, current) in existing where desired[name] == nil
            && current[path: ["metadata", "labels", automanagedLabel]]?.string == "true" {
            do {
                _ = try await store.delete(namespace: "", name: name, options: DeleteOptions(), context: context)
            } catch let error as StatusError where error.code == 404 {
            } catch {
                logger.warning("autoregister: deleting APIService \(name): \(error)")
            }
        }
    }
}
