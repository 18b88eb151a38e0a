import Foundation
import KubeCommand
import KubeadmAPI
import KubeYAML

/// `bootstrap certs`: check-expiration and renew.
enum CertsCommand {
    static func make(host: @escaping @Sendable () -> HostFacts) -> Command {
        let common = [InitFlags.certDir, InitFlags.config, InitFlags.kubeconfigDir]
        let checkExpiration = Command(
            name: "check-expiration", short: "Check certificates expiration for a Kubernetes cluster",
            long: "Checks expiration for the certificates in the local PKI managed by bootstrap (kubeadm's layout), including the client certificates embedded in the kubeconfig files.",
            flags: common + [Flag("output", shorthand: "o", default: "text", usage: "Output format. One of: text|json|yaml.")],
            validateArguments: { $0.isEmpty ? nil : "unexpected argument \"\($0[0])\"" },
            run: { invocation in
                let dirs = try directories(invocation, host: host)
                try CheckExpiration.run(certificatesDir: dirs.certs, kubeconfigDir: dirs.kubeconfig,
                                        output: invocation.flags.string("output") ?? "text", now: Date(),
                                        reporter: Reporter(sink: invocation.output))
            })
        let renew = Command(
            name: "renew", short: "Renew certificates for a Kubernetes cluster",
            long: """
                Renew a leaf certificate (never a certificate authority), or all of them, keeping subject and SANs and
                issuing a fresh key. Renewal does not restart anything: the command says which components must be restarted.

                Names: all, \(Renew.names.joined(separator: ", "))
                """,
            flags: common,
            validateArguments: { args in
                if args.count != 1 { return "requires exactly one argument: a certificate name or \"all\"" }
                return nil
            },
            run: { invocation in
                let dirs = try directories(invocation, host: host)
                try Renew.run(name: invocation.arguments[0], certificatesDir: dirs.certs, kubeconfigDir: dirs.kubeconfig,
                              validity: dirs.validity, now: Date(), reporter: Reporter(sink: invocation.output))
            })
        return Command(name: "certs", aliases: ["certificates"], short: "Commands related to handling kubernetes certificates",
                       subcommands: [checkExpiration, renew])
    }

    /// Certificate and kubeconfig folders and the leaf validity, from flags and (if given) the config file.
    static func directories(_ invocation: Invocation, host: @Sendable () -> HostFacts) throws -> (certs: String, kubeconfig: String, validity: TimeInterval) {
        var certs = KubeadmDefaults.certificatesDir
        var validity = KubeadmDefaults.certificateValidity
        if let path = invocation.flags.string("config"), !path.isEmpty {
            let file = try ConfigFile.load(path: path)
            if let dir = file.clusterConfiguration?.certificatesDir { certs = dir }
            if let v = file.clusterConfiguration?.certificateValidityPeriod { validity = v }
        }
        if invocation.flags.changed("cert-dir"), let dir = invocation.flags.string("cert-dir") { certs = dir }
        let kubeconfig = invocation.flags.string("kubeconfig-dir") ?? KubeadmDefaults.kubeconfigDir
        return (certs, kubeconfig, validity.seconds)
    }
}

/// `bootstrap config print init-defaults`.
enum ConfigCommand {
    static func make(host: @escaping @Sendable () -> HostFacts) -> Command {
        let initDefaults = Command(
            name: "init-defaults", short: "Print default init configuration, that can be used for 'bootstrap init'",
            long: "This command prints the default InitConfiguration and ClusterConfiguration (kubeadm.k8s.io/v1beta4) for this host; the output is accepted back by --config.",
            validateArguments: { $0.isEmpty ? nil : "unexpected argument \"\($0[0])\"" },
            run: { invocation in
                let (initCfg, cluster) = KubeadmDefaults.initDefaults(host: host())
                let text = try DefaultsPrinter.render(initCfg, cluster)
                invocation.output.out(text)
            })
        let print = Command(name: "print", short: "Print configuration", subcommands: [initDefaults])
        return Command(name: "config", short: "Manage configuration for a kubeadm cluster persisted in a ConfigMap in the cluster",
                       subcommands: [print])
    }
}

/// Renders the v1beta4 documents as kubeadm prints them: sorted keys, `---` between documents.
public enum DefaultsPrinter {
    public static func render(_ initCfg: V1Beta4.InitConfiguration, _ cluster: V1Beta4.ClusterConfiguration) throws -> String {
        try KubeYAMLEncoder.encode(initCfg) + "---\n" + KubeYAMLEncoder.encode(cluster)
    }
}
