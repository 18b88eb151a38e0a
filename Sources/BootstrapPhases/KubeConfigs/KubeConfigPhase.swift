import AtomicFile
import BootstrapWorkflow

/// The `kubeconfig` phase: one sub-phase per file plus `all`.
enum KubeConfigPhase {
    static let inherited = ["cert-dir", "config", "kubeconfig-dir", "apiserver-advertise-address", "apiserver-bind-port",
                            "control-plane-endpoint", "node-name", "kubernetes-version"]

    static func make<D: InitData>() -> Phase<D> {
        var children: [Phase<D>] = [
            Phase(name: "all", short: "Generate all kubeconfig files", runAllSiblings: true, inheritFlags: inherited),
        ]
        for spec in KubeConfigList.all {
            children.append(Phase(name: spec.name, short: spec.short, inheritFlags: inherited, run: { (data: D) in
                let manager = KubeConfigManager(settings: data.settings, certificatesDir: data.certificatesDir,
                                                kubeconfigDir: data.kubeconfigDir, reporter: data.reporter, now: data.clock())
                try manager.ensure(spec)
            }))
        }
        return Phase(name: "kubeconfig", short: "Generate all kubeconfig files necessary to establish the control plane and the admin kubeconfig file",
                     phases: children, inheritFlags: inherited, run: { (data: D) in
            data.reporter.say("[kubeconfig] Using kubeconfig folder \"\(data.kubeconfigDir)\"")
            try AtomicFile.makeDirectories(data.kubeconfigDir)
        })
    }
}
