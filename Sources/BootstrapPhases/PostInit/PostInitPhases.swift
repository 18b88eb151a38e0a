import BootstrapWorkflow
import Foundation
import KubeClient
import KubeCommand
import KubeJSON
import KubeYAML

/// The phases after the control plane answers: upload-config, mark-control-plane, show-join-command.
enum PostInitPhases {
    static func client<D: InitData>(_ data: D) throws -> RESTClient {
        try RESTClient(config: ClientConfig.load(kubeconfig: data.kubeconfigDir + "/admin.conf"))
    }

    static func uploadConfig<D: InitData>() -> Phase<D> {
        Phase(name: "upload-config", short: "Upload the kubeadm and kubelet configuration to a ConfigMap",
              inheritFlags: ["config", "kubeconfig-dir", "dry-run"], run: { (data: D) in
            data.reporter.say("[upload-config] Storing the configuration used in ConfigMap \"kubeadm-config\" in the \"kube-system\" Namespace")
            if data.options.dryRun { return }
            let yaml = try KubeYAMLEncoder.encode(data.settings.clusterConfiguration)
            let kubeletYAML = KubeletStartPhase.kubeletConfig(data)
            let api = try client(data)
            for (name, key, value) in [("kubeadm-config", "ClusterConfiguration", yaml), ("kubelet-config", "kubelet", kubeletYAML)] {
                let cm: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap",
                                     "metadata": ["name": .string(name), "namespace": "kube-system"], "data": [key: .string(value)]]
                do {
                    _ = try await api.create(.configMaps, namespace: "kube-system", cm)
                } catch let failure as APIError where failure.isAlreadyExists || failure.isConflict {
                    _ = try await api.update(.configMaps, cm)
                }
            }
            data.reporter.say("[kubelet] Creating a ConfigMap \"kubelet-config\" in namespace kube-system with the configuration for the kubelets in the cluster")
        })
    }

    static func markControlPlane<D: InitData>() -> Phase<D> {
        Phase(name: "mark-control-plane", short: "Mark a node as a control-plane",
              inheritFlags: ["config", "node-name", "kubeconfig-dir", "dry-run"], run: { (data: D) in
            let node = data.settings.nodeName
            data.reporter.say("[mark-control-plane] Marking the node \(node) as control-plane by adding the labels: [node-role.kubernetes.io/control-plane node.kubernetes.io/exclude-from-external-load-balancers]")
            data.reporter.say("[mark-control-plane] Marking the node \(node) as control-plane by adding the taints [node-role.kubernetes.io/control-plane:NoSchedule]")
            if data.options.dryRun { return }
            let api = try client(data)
            // The kubelet registers the Node shortly after the apiserver answers.
            let deadline = Date().addingTimeInterval(data.options.waitTimeout)
            var current: JSONValue?
            while current == nil {
                current = try? await api.get(.nodes, name: node)
                if current == nil {
                    if Date() > deadline { throw PostInitError(description: "node \(node) did not register within \(Int(data.options.waitTimeout))s") }
                    try await Task.sleep(nanoseconds: 100_000_000)
                }
            }
            var taints = current?[path: ["spec", "taints"]]?.array ?? []
            if !taints.contains(where: { $0["key"]?.string == "node-role.kubernetes.io/control-plane" }) {
                taints.append(["key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"])
            }
            let patch: JSONValue = [
                "metadata": ["labels": ["node-role.kubernetes.io/control-plane": "", "node.kubernetes.io/exclude-from-external-load-balancers": ""]],
                "spec": ["taints": .array(taints)],
            ]
            _ = try await api.patch(.nodes, name: node, type: .merge, patch)
        })
    }

    static func showJoinCommand<D: InitData>() -> Phase<D> {
        Phase(name: "show-join-command", short: "Show the join command for control-plane and worker node", run: { (data: D) in
            data.reporter.say("[show-join-command] Joining other nodes is not supported by Kubestrap yet; this control plane is a single node.")
        })
    }

    static func banner<D: InitData>(_ data: D) {
        let admin = data.kubeconfigDir + "/admin.conf"
        let names = ControlPlaneComponent.allCases.map(\.rawValue)
        let whereItRuns = data.options.controlPlaneMode == "systemd"
            ? "The control plane (\(names.joined(separator: ", "))) runs as systemd units in \(data.paths.systemdDir);\nlogs are in `journalctl -u kube-apiserver` and so on (or \(data.paths.logDir)/<component>.log without systemd)."
            : "The control plane runs as static pods \(names.map { "\($0)-\(data.settings.nodeName)" }.joined(separator: ", ")) (manifests in \(data.paths.manifestsDir));\ntheir logs are under \(data.paths.podLogsDir) and through `kubectl logs -n kube-system kube-apiserver-\(data.settings.nodeName)` and so on."
        let runtimeLine = data.options.cri.endpoint.map { endpoint in
            "Pods run in containers of \(endpoint) on the pod network of \(data.paths.cniConfDir); the control plane and kube-proxy\n"
                + "run as host processes of the kubelet (RuntimeClass \(RuntimeClassAddon.name))."
        } ?? "No container runtime was found: pods run as host processes of the kubelet (README: installing containerd)."
        data.reporter.say("""

            Your Kubernetes control-plane has initialized successfully!

            To start using your cluster, you need to run the following as a regular user:

              mkdir -p $HOME/.kube
              sudo cp -i \(admin) $HOME/.kube/config
              sudo chown $(id -u):$(id -g) $HOME/.kube/config

            Alternatively, if you are the root user, you can run:

              export KUBECONFIG=\(admin)

            \(whereItRuns)
            \(runtimeLine)

            Joining worker nodes is not supported yet.
            """)
    }
}

struct PostInitError: Error, CustomStringConvertible { let description: String }
