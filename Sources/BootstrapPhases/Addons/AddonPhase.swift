import BootstrapWorkflow
import Foundation
import KubeClient
import KubeJSON

/// kubeadm's `addon` phase: `kube-proxy` (its ServiceAccount, RBAC, ConfigMap and DaemonSet) and, Kubestrap's own,
/// `runtime-class`: the RuntimeClass `host-process` that the static pods and kube-proxy name, so that with a container
/// runtime they still run as host processes of the kubelet. There is no CoreDNS addon (no DNS server yet).
enum AddonPhase {
    static let inherited = ["config", "kubeconfig-dir", "dry-run", "pod-network-cidr", "apiserver-advertise-address",
                            "apiserver-bind-port", "control-plane-endpoint", "kubernetes-version", "root-prefix"]

    static func make<D: InitData>() -> Phase<D> {
        Phase(name: "addon", short: "Install required addons for passing conformance tests", phases: [
            Phase(name: "all", short: "Install all the addons", runAllSiblings: true, inheritFlags: inherited),
            Phase(name: "runtime-class", short: "Install the RuntimeClass host-process (pods run as host processes of the kubelet)",
                  inheritFlags: inherited, run: { (data: D) in try await RuntimeClassAddon.apply(data) }),
            Phase(name: "kube-proxy", short: "Install the kube-proxy addon to a Kubernetes cluster",
                  inheritFlags: inherited, run: { (data: D) in try await KubeProxyAddon.apply(data) }),
        ], inheritFlags: inherited)
    }

    static let roles = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "roles", kind: "Role", namespaced: true)
    static let roleBindings = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "rolebindings",
                                           kind: "RoleBinding", namespaced: true)
    static let clusterRoleBindings = ResourceType(group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings",
                                                  kind: "ClusterRoleBinding", namespaced: false)
    static let runtimeClasses = ResourceType(group: "node.k8s.io", version: "v1", resource: "runtimeclasses", kind: "RuntimeClass",
                                             namespaced: false)

    /// kubeadm's CreateOrUpdate: create, and when the object exists, replace it with ours (its resourceVersion kept,
    /// so the update is not refused as a conflict).
    static func createOrUpdate(_ api: any KubernetesClient, _ resource: ResourceType, _ object: JSONValue) async throws {
        let namespace = resource.namespaced ? object[path: ["metadata", "namespace"]]?.string : nil
        do {
            _ = try await api.create(resource, namespace: namespace, object: object, subresource: nil)
        } catch let failure as APIError where failure.isAlreadyExists {
            let name = object[path: ["metadata", "name"]]?.string ?? ""
            let current = try await api.get(resource, namespace: namespace, name: name, subresource: nil)
            var replacement = object
            replacement[path: ["metadata", "resourceVersion"]] = current[path: ["metadata", "resourceVersion"]]
            _ = try await api.update(resource, namespace: namespace, object: replacement, subresource: nil)
        }
    }
}

/// The RuntimeClass `host-process` (handler `host-process`): the kubelet runs a pod that names it as host processes,
/// also where a container runtime is configured.
enum RuntimeClassAddon {
    static let name = "host-process"

    static var object: JSONValue {
        ["apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass",
         "metadata": ["name": .string(name), "labels": ["app.kubernetes.io/managed-by": "kubestrap"]],
         "handler": .string(name)]
    }

    static func apply<D: InitData>(_ data: D) async throws {
        if !data.options.dryRun {
            try await AddonPhase.createOrUpdate(try PostInitPhases.client(data), AddonPhase.runtimeClasses, object)
        }
        data.reporter.say("[addons] Applied essential addon: RuntimeClass \(name)")
    }
}
