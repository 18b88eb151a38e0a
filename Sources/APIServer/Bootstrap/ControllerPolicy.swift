import KubeJSON

/// Upstream's per-controller roles (bootstrappolicy/controller_policy.go, 1.32 with default feature gates): with
/// `--use-service-account-credentials=true` (kubeadm's default) each controller of kube-controller-manager acts as
/// `system:serviceaccount:kube-system:<name>`, and without `system:controller:<name>` bound to that account it
/// could read its objects (the manager's shared informers) but change nothing.
extension BootstrapPolicy {
    static let controllerRolePrefix = "system:controller:"

    /// Almost every controller records events through both event APIs.
    static let controllerEvents = rule(["create", "update", "patch"], groups: ["", "events.k8s.io"], resources: ["events"])

    /// (service account, rules); the role and its binding are both named `system:controller:<service account>`.
    static var controllerPolicies: [(String, [JSONValue])] {
        let rw = ["get", "list", "watch", "create", "update", "patch", "delete"]
        let extensionsAndApps = ["extensions", "apps"]
        return [
            ("attachdetach-controller", [
                rule(["list", "watch"], resources: ["persistentvolumes", "persistentvolumeclaims"]),
                rule(read, resources: ["nodes"]),
                rule(["patch", "update"], resources: ["nodes/status"]),
                rule(["list", "watch"], resources: ["pods"]),
                controllerEvents,
                rule(["get", "create", "delete", "list", "watch"], groups: ["storage.k8s.io"], resources: ["volumeattachments"]),
                rule(read, groups: ["storage.k8s.io"], resources: ["csidrivers"]),
                rule(read, groups: ["storage.k8s.io"], resources: ["csinodes"]),
            ]),
            // It rewrites aggregated roles, so it needs `escalate` to write rules it does not hold itself.
            ("clusterrole-aggregation-controller", [
                rule(["escalate", "get", "list", "watch", "update", "patch"], groups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"]),
            ]),
            ("cronjob-controller", [
                rule(read + ["update"], groups: ["batch"], resources: ["cronjobs"]),
                rule(rw, groups: ["batch"], resources: ["jobs"]),
                rule(["update"], groups: ["batch"], resources: ["cronjobs/status"]),
                rule(["update"], groups: ["batch"], resources: ["cronjobs/finalizers"]),
                rule(["list", "watch", "delete"], resources: ["pods"]),
                controllerEvents,
            ]),
            ("daemon-set-controller", [
                rule(read, groups: extensionsAndApps, resources: ["daemonsets"]),
                rule(["update"], groups: extensionsAndApps, resources: ["daemonsets/status"]),
                rule(["update"], groups: extensionsAndApps, resources: ["daemonsets/finalizers"]),
                rule(["list", "watch"], resources: ["nodes"]),
                rule(["list", "watch", "create", "delete", "patch"], resources: ["pods"]),
                rule(["create"], resources: ["pods/binding"]),
                rule(rw, groups: ["apps"], resources: ["controllerrevisions"]),
                controllerEvents,
            ]),
            ("deployment-controller", [
                rule(read + ["update"], groups: extensionsAndApps, resources: ["deployments"]),
                rule(["update"], groups: extensionsAndApps, resources: ["deployments/status"]),
                rule(["update"], groups: extensionsAndApps, resources: ["deployments/finalizers"]),
                rule(rw, groups: ["apps", "extensions"], resources: ["replicasets"]),
                // Upstream keeps "update" on pods for old label-adoption paths (kubernetes#36897).
                rule(read + ["update"], resources: ["pods"]),
                controllerEvents,
            ]),
            ("disruption-controller", [
                rule(read, groups: extensionsAndApps, resources: ["deployments"]),
                rule(read, groups: ["apps", "extensions"], resources: ["replicasets"]),
                rule(read, resources: ["replicationcontrollers"]),
                rule(read, groups: ["policy"], resources: ["poddisruptionbudgets"]),
                rule(read, groups: ["apps"], resources: ["statefulsets"]),
                rule(["update"], groups: ["policy"], resources: ["poddisruptionbudgets/status"]),
                rule(["patch", "update"], resources: ["pods/status"]),
                rule(["get"], groups: ["*"], resources: ["*/scale"]),
                controllerEvents,
            ]),
            ("endpoint-controller", [
                rule(read, resources: ["services", "pods"]),
                rule(["get", "list", "watch", "create", "update", "delete"], resources: ["endpoints"]),
                rule(["create"], resources: ["endpoints/restricted"]),
                controllerEvents,
            ]),
            // services/finalizers: a slice owned by its Service with blockOwnerDeletion needs that permission.
            ("endpointslice-controller", [
                rule(read, resources: ["services", "pods", "nodes"]),
                rule(["update"], resources: ["services/finalizers"]),
                rule(["get", "list", "watch", "create", "update", "delete"], groups: ["discovery.k8s.io"], resources: ["endpointslices"]),
                controllerEvents,
            ]),
            ("endpointslicemirroring-controller", [
                rule(read, resources: ["services", "endpoints"]),
                rule(["update"], resources: ["services/finalizers"]),
                rule(["update"], resources: ["endpoints/finalizers"]),
                rule(["get", "list", "watch", "create", "update", "delete"], groups: ["discovery.k8s.io"], resources: ["endpointslices"]),
                controllerEvents,
            ]),
            ("expand-controller", [
                rule(read + ["update", "patch"], resources: ["persistentvolumes"]),
                rule(["update", "patch"], resources: ["persistentvolumeclaims/status"]),
                rule(read, resources: ["persistentvolumeclaims"]),
                controllerEvents,
                rule(["get"], resources: ["services"]),
            ]),
            ("ephemeral-volume-controller", [
                rule(read, resources: ["pods"]),
                rule(["update"], resources: ["pods/finalizers"]),
                rule(read + ["create"], resources: ["persistentvolumeclaims"]),
                controllerEvents,
            ]),
            ("generic-garbage-collector", [
                rule(read + ["patch", "update", "delete"], groups: ["*"], resources: ["*"]),
                controllerEvents,
            ]),
            ("horizontal-pod-autoscaler", [
                rule(read, groups: ["autoscaling"], resources: ["horizontalpodautoscalers"]),
                rule(["update"], groups: ["autoscaling"], resources: ["horizontalpodautoscalers/status"]),
                rule(["get", "update"], groups: ["*"], resources: ["*/scale"]),
                rule(["list", "watch"], resources: ["pods"]),
                rule(["list", "watch"], groups: ["metrics.k8s.io"], resources: ["pods"]),
                rule(read, groups: ["custom.metrics.k8s.io"], resources: ["*"]),
                rule(read, groups: ["external.metrics.k8s.io"], resources: ["*"]),
                controllerEvents,
            ]),
            ("job-controller", [
                rule(read + ["update", "patch"], groups: ["batch"], resources: ["jobs"]),
                rule(["update"], groups: ["batch"], resources: ["jobs/status"]),
                rule(["update"], groups: ["batch"], resources: ["jobs/finalizers"]),
                rule(["list", "watch", "create", "delete", "patch"], resources: ["pods"]),
                controllerEvents,
            ]),
            ("namespace-controller", [
                rule(read + ["delete"], resources: ["namespaces"]),
                rule(["update"], resources: ["namespaces/finalize", "namespaces/status"]),
                rule(read + ["delete", "deletecollection"], groups: ["*"], resources: ["*"]),
            ]),
            ("node-controller", [
                rule(read + ["update", "delete", "patch"], resources: ["nodes"]),
                rule(["patch", "update"], resources: ["nodes/status"]),
                rule(["patch", "update"], resources: ["pods/status"]),
                rule(["list", "watch", "get", "delete"], resources: ["pods"]),
                controllerEvents,
            ]),
            ("persistent-volume-binder", [
                rule(read + ["update", "create", "delete"], resources: ["persistentvolumes"]),
                rule(["update"], resources: ["persistentvolumes/status"]),
                rule(read + ["update"], resources: ["persistentvolumeclaims"]),
                rule(["update"], resources: ["persistentvolumeclaims/status"]),
                rule(["list", "watch", "get", "create", "delete"], resources: ["pods"]),
                rule(read, groups: ["storage.k8s.io"], resources: ["storageclasses"]),
                rule(["list", "watch"], resources: ["nodes"]),
                controllerEvents,
                // The recycler watches its pod's events.
                rule(["watch"], resources: ["events"]),
                rule(["get"], resources: ["services"]),
            ]),
            ("pod-garbage-collector", [
                rule(["list", "watch", "delete"], resources: ["pods"]),
                rule(read, resources: ["nodes"]),
                rule(["patch"], resources: ["pods/status"]),
            ]),
            ("replicaset-controller", [
                rule(read + ["update"], groups: ["apps", "extensions"], resources: ["replicasets"]),
                rule(["update"], groups: ["apps", "extensions"], resources: ["replicasets/status"]),
                rule(["update"], groups: ["apps", "extensions"], resources: ["replicasets/finalizers"]),
                rule(["list", "watch", "patch", "create", "delete"], resources: ["pods"]),
                controllerEvents,
            ]),
            ("replication-controller", [
                rule(read + ["update"], resources: ["replicationcontrollers"]),
                rule(["update"], resources: ["replicationcontrollers/status"]),
                rule(["update"], resources: ["replicationcontrollers/finalizers"]),
                rule(["list", "watch", "patch", "create", "delete"], resources: ["pods"]),
                controllerEvents,
            ]),
            // Quota counts anything, so it lists and watches everything.
            ("resourcequota-controller", [
                rule(["list", "watch"], groups: ["*"], resources: ["*"]),
                rule(["update"], resources: ["resourcequotas/status"]),
                controllerEvents,
            ]),
            ("route-controller", [
                rule(["list", "watch"], resources: ["nodes"]),
                rule(["patch"], resources: ["nodes/status"]),
                controllerEvents,
            ]),
            ("service-account-controller", [
                rule(["create"], resources: ["serviceaccounts"]),
                controllerEvents,
            ]),
            ("service-controller", [
                rule(read, resources: ["services"]),
                rule(["patch", "update"], resources: ["services/status"]),
                rule(["list", "watch"], resources: ["nodes"]),
                controllerEvents,
            ]),
            ("statefulset-controller", [
                rule(["list", "watch"], resources: ["pods"]),
                rule(read, groups: ["apps"], resources: ["statefulsets"]),
                rule(["update"], groups: ["apps"], resources: ["statefulsets/status"]),
                rule(["update"], groups: ["apps"], resources: ["statefulsets/finalizers"]),
                rule(["get", "create", "delete", "update", "patch"], resources: ["pods"]),
                rule(["get", "create", "delete", "update", "patch", "list", "watch"], groups: ["apps"], resources: ["controllerrevisions"]),
                rule(["get", "create", "list", "watch"], resources: ["persistentvolumeclaims"]),
                rule(["update", "delete"], resources: ["persistentvolumeclaims"]),
                rule(["update"], resources: ["pods/finalizers"]),
                controllerEvents,
            ]),
            ("ttl-controller", [
                rule(["update", "patch", "list", "watch"], resources: ["nodes"]),
                controllerEvents,
            ]),
            ("certificate-controller", [
                rule(read + ["delete"], groups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"]),
                rule(["update"], groups: ["certificates.k8s.io"],
                     resources: ["certificatesigningrequests/status", "certificatesigningrequests/approval"]),
                rule(["approve"], groups: ["certificates.k8s.io"], resources: ["signers"],
                     names: ["kubernetes.io/kube-apiserver-client-kubelet"]),
                rule(["sign"], groups: ["certificates.k8s.io"], resources: ["signers"],
                     names: ["kubernetes.io/legacy-unknown", "kubernetes.io/kube-apiserver-client",
                             "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving"]),
                rule(["create"], groups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"]),
                controllerEvents,
            ]),
            ("pvc-protection-controller", [
                rule(read + ["update"], resources: ["persistentvolumeclaims"]),
                rule(["list", "watch", "get"], resources: ["pods"]),
                controllerEvents,
            ]),
            ("pv-protection-controller", [
                rule(read + ["update"], resources: ["persistentvolumes"]),
                controllerEvents,
            ]),
            ("ttl-after-finished-controller", [
                rule(read + ["delete"], groups: ["batch"], resources: ["jobs"]),
                controllerEvents,
            ]),
            ("root-ca-cert-publisher", [
                rule(["create", "update"], resources: ["configmaps"]),
                controllerEvents,
            ]),
            ("validatingadmissionpolicy-status-controller", [
                rule(read, groups: ["admissionregistration.k8s.io"], resources: ["validatingadmissionpolicies"]),
                rule(["get", "patch", "update"], groups: ["admissionregistration.k8s.io"], resources: ["validatingadmissionpolicies/status"]),
                controllerEvents,
            ]),
            ("legacy-service-account-token-cleaner", [
                rule(["get"], resources: ["configmaps"], names: ["kube-apiserver-legacy-service-account-token-tracking"]),
                rule(["patch", "delete"], resources: ["secrets"]),
            ]),
        ]
    }

    static var controllerClusterRoles: [JSONValue] {
        controllerPolicies.map { name, rules in clusterRole(controllerRolePrefix + name, rules) }
    }

    static var controllerClusterRoleBindings: [JSONValue] {
        controllerPolicies.map { name, _ in
            clusterRoleBinding(controllerRolePrefix + name, role: controllerRolePrefix + name,
                               subjects: [], serviceAccounts: [("kube-system", name)])
        }
    }
}
