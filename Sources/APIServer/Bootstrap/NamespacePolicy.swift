import KubeJSON

/// Upstream's namespaced bootstrap roles (bootstrappolicy/namespace_policy.go) that the control plane itself needs:
/// the bootstrap-signer and token-cleaner controllers (kubeadm runs kube-controller-manager with
/// `--controllers=*,bootstrapsigner,tokencleaner`), and reading the `extension-apiserver-authentication`
/// ConfigMap, which the manager's and the scheduler's delegated authentication load at start.
extension BootstrapPolicy {
    static func role(_ namespace: String, _ name: String, _ rules: [JSONValue]) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": JSONValue(bootstrapping),
                         "annotations": JSONValue(autoupdate)],
            "rules": .array(rules),
        ]
    }

    static func roleBinding(_ namespace: String, _ name: String, role: String, users: [String] = [],
                            serviceAccounts: [(String, String)] = []) -> JSONValue {
        [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": JSONValue(bootstrapping),
                         "annotations": JSONValue(autoupdate)],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(role)],
            "subjects": .array(users.map(userSubject) + serviceAccounts.map(serviceAccountSubject)),
        ]
    }

    static var namespacedRoles: [JSONValue] {
        [
            role("kube-system", "extension-apiserver-authentication-reader", [
                rule(read, resources: ["configmaps"], names: ["extension-apiserver-authentication"]),
            ]),
            role("kube-system", controllerRolePrefix + "bootstrap-signer", [rule(read, resources: ["secrets"])]),
            role("kube-system", controllerRolePrefix + "token-cleaner", [
                rule(["delete"] + read, resources: ["secrets"]), controllerEvents,
            ]),
            role("kube-system", "system::leader-locking-kube-controller-manager", [
                rule(["watch"], resources: ["configmaps"]),
                rule(["get", "update"], resources: ["configmaps"], names: ["kube-controller-manager"]),
            ]),
            role("kube-system", "system::leader-locking-kube-scheduler", [
                rule(["watch"], resources: ["configmaps"]),
                rule(["get", "update"], resources: ["configmaps"], names: ["kube-scheduler"]),
            ]),
            // The signer writes signatures of bootstrap tokens into kube-public's cluster-info.
            role("kube-public", controllerRolePrefix + "bootstrap-signer", [
                rule(read, resources: ["configmaps"]),
                rule(["update", "patch"], resources: ["configmaps"], names: ["cluster-info"]),
                controllerEvents,
            ]),
        ]
    }

    static var namespacedRoleBindings: [JSONValue] {
        [
            roleBinding("kube-system", "system::extension-apiserver-authentication-reader",
                        role: "extension-apiserver-authentication-reader",
                        users: ["system:kube-controller-manager", "system:kube-scheduler"]),
            roleBinding("kube-system", "system::leader-locking-kube-controller-manager",
                        role: "system::leader-locking-kube-controller-manager", users: ["system:kube-controller-manager"],
                        serviceAccounts: [("kube-system", "kube-controller-manager")]),
            roleBinding("kube-system", "system::leader-locking-kube-scheduler",
                        role: "system::leader-locking-kube-scheduler", users: ["system:kube-scheduler"],
                        serviceAccounts: [("kube-system", "kube-scheduler")]),
            roleBinding("kube-system", controllerRolePrefix + "bootstrap-signer", role: controllerRolePrefix + "bootstrap-signer",
                        serviceAccounts: [("kube-system", "bootstrap-signer")]),
            roleBinding("kube-system", controllerRolePrefix + "token-cleaner", role: controllerRolePrefix + "token-cleaner",
                        serviceAccounts: [("kube-system", "token-cleaner")]),
            roleBinding("kube-public", controllerRolePrefix + "bootstrap-signer", role: controllerRolePrefix + "bootstrap-signer",
                        serviceAccounts: [("kube-system", "bootstrap-signer")]),
        ]
    }
}
