import Foundation
import KubeClient
import KubeJSON

/// kubeadm's kube-proxy addon: ServiceAccount `kube-proxy`, ClusterRoleBinding `kubeadm:node-proxier` to
/// `system:node-proxier`, the Role and RoleBinding that let joining nodes read the ConfigMap, ConfigMap `kube-proxy`
/// (config.conf and an in-cluster kubeconfig.conf) and DaemonSet `kube-proxy` — host network, privileged, and here
/// `runtimeClassName: host-process` with the binary bootstrap installs, since there is no kube-proxy image to pull.
enum KubeProxyAddon {
    static let namespace = "kube-system"
    static let name = "kube-proxy"
    static let serviceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// `config.conf`: the KubeProxyConfiguration, with the pod network as cluster CIDR (traffic to a cluster IP from
    /// outside it is masqueraded).
    static func config<D: InitData>(_ data: D) -> String {
        let clusterCIDR = data.settings.podSubnet ?? PodNetworkConfig.defaultPodSubnet
        return """
            apiVersion: kubeproxy.config.k8s.io/v1alpha1
            bindAddress: 0.0.0.0
            clientConnection:
              kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
            clusterCIDR: \(clusterCIDR)
            healthzBindAddress: 0.0.0.0:10256
            hostnameOverride: ""
            iptables:
              masqueradeAll: false
              minSyncPeriod: 1s
              syncPeriod: 30s
            kind: KubeProxyConfiguration
            metricsBindAddress: 127.0.0.1:10249
            mode: iptables

            """
    }

    /// `kubeconfig.conf`: the API server with the pod's service account CA and token (kubeadm's).
    static func kubeconfig<D: InitData>(_ data: D) -> String {
        """
        apiVersion: v1
        kind: Config
        clusters:
        - cluster:
            certificate-authority: \(serviceAccountDir)/ca.crt
            server: \(data.settings.controlPlaneURL)
          name: default
        contexts:
        - context:
            cluster: default
            namespace: default
            user: default
          name: default
        current-context: default
        users:
        - name: default
          user:
            tokenFile: \(serviceAccountDir)/token

        """
    }

    static func objects<D: InitData>(_ data: D) -> [(ResourceType, JSONValue)] {
        let labels: JSONValue = ["k8s-app": .string(name)]
        let serviceAccount: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount",
                                         "metadata": ["name": .string(name), "namespace": .string(namespace)]]
        let clusterRoleBinding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": ["name": "kubeadm:node-proxier"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "system:node-proxier"],
            "subjects": [["kind": "ServiceAccount", "name": .string(name), "namespace": .string(namespace)]],
        ]
        let role: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "rules": [["apiGroups": [""], "resources": ["configmaps"], "resourceNames": [.string(name)], "verbs": ["get"]]],
        ]
        let roleBinding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": ["name": .string(name), "namespace": .string(namespace)],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": .string(name)],
            "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:bootstrappers:kubeadm:default-node-token"]],
        ]
        let configMap: JSONValue = [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": ["app": .string(name)]],
            "data": ["config.conf": .string(config(data)), "kubeconfig.conf": .string(kubeconfig(data))],
        ]
        let container: JSONValue = [
            "name": .string(name),
            "image": .string("registry.k8s.io/kube-proxy:\(data.settings.kubernetesVersion)"),
            "imagePullPolicy": "IfNotPresent",
            "command": [.string(data.paths.installedKubeProxy), "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"],
            "env": [["name": "NODE_NAME", "valueFrom": ["fieldRef": ["apiVersion": "v1", "fieldPath": "spec.nodeName"]]]],
            "securityContext": ["privileged": true],
            "volumeMounts": [
                ["mountPath": "/var/lib/kube-proxy", "name": .string(name)],
                ["mountPath": "/run/xtables.lock", "name": "xtables-lock", "readOnly": false],
                ["mountPath": "/lib/modules", "name": "lib-modules", "readOnly": true],
            ],
        ]
        let daemonSet: JSONValue = [
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": ["name": .string(name), "namespace": .string(namespace), "labels": labels],
            "spec": [
                "selector": ["matchLabels": labels],
                "updateStrategy": ["type": "RollingUpdate"],
                "template": [
                    "metadata": ["labels": labels],
                    "spec": [
                        "containers": [container],
                        "hostNetwork": true,
                        "nodeSelector": ["kubernetes.io/os": "linux"],
                        "priorityClassName": "system-node-critical",
                        "runtimeClassName": .string(RuntimeClassAddon.name),
                        "serviceAccountName": .string(name),
                        "tolerations": [["operator": "Exists"]],
                        "volumes": [
                            ["name": .string(name), "configMap": ["name": .string(name)]],
                            ["name": "xtables-lock", "hostPath": ["path": "/run/xtables.lock", "type": "FileOrCreate"]],
                            ["name": "lib-modules", "hostPath": ["path": "/lib/modules"]],
                        ],
                    ],
                ],
            ],
        ]
        return [(.serviceAccounts, serviceAccount), (AddonPhase.clusterRoleBindings, clusterRoleBinding), (AddonPhase.roles, role),
                (AddonPhase.roleBindings, roleBinding), (.configMaps, configMap), (.daemonSets, daemonSet)]
    }

    static func apply<D: InitData>(_ data: D) async throws {
        // v1beta4's proxy.disabled: another proxy (a CNI's eBPF replacement, say) owns Services.
        if data.settings.clusterConfiguration.proxy?.disabled == true {
            data.reporter.say("[addons] Not installing kube-proxy: proxy.disabled is true in the ClusterConfiguration")
            return
        }
        if !data.options.dryRun {
            let api = try PostInitPhases.client(data)
            for (resource, object) in objects(data) {
                try await AddonPhase.createOrUpdate(api, resource, object)
            }
        }
        data.reporter.say("[addons] Applied essential addon: kube-proxy")
    }
}
