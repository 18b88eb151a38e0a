import AtomicFile
import BootstrapWorkflow
import KubeCommand

/// The `certs` phase and its sub-phases, generated from kubeadm's certificate table.
enum CertsPhase {
    static let inherited = ["cert-dir", "config", "apiserver-advertise-address", "apiserver-cert-extra-sans",
                            "control-plane-endpoint", "node-name", "service-cidr", "service-dns-domain",
                            "kubernetes-version"]

    static func make<D: InitData>() -> Phase<D> {
        var children: [Phase<D>] = [
            Phase(name: "all", short: "Generate all certificates", runAllSiblings: true, inheritFlags: inherited),
        ]
        for spec in KubeadmCertList.all {
            children.append(Phase(name: spec.name, short: "Generate the \(spec.longName)", inheritFlags: inherited, run: { (data: D) in
                let manager = CertificateManager(settings: data.settings, directory: data.certificatesDir,
                                                 reporter: data.reporter, now: data.clock())
                if spec.isCA { try manager.ensureCA(spec) } else { try manager.ensureLeaf(spec) }
            }))
        }
        children.append(Phase(name: "sa", short: "Generate a private key for signing service account tokens along with its public key",
                              inheritFlags: ["cert-dir", "config"], run: { (data: D) in
            let manager = CertificateManager(settings: data.settings, directory: data.certificatesDir,
                                             reporter: data.reporter, now: data.clock())
            try manager.ensureServiceAccountKey()
        }))
        return Phase(name: "certs", short: "Certificate generation", phases: children, inheritFlags: inherited, run: { (data: D) in
            data.reporter.say("[certs] Using certificateDir folder \"\(data.certificatesDir)\"")
            try AtomicFile.makeDirectories(data.certificatesDir)
        })
    }
}
