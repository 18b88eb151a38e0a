import Foundation
import KubeadmAPI
import KubeConfig
import PKI

/// Writes kubeconfig files with embedded credentials, reusing a file that already points at this cluster's CA
/// and API server with a client certificate for the expected user, and refusing one that does not.
struct KubeConfigManager {
    let settings: InitSettings
    let certificatesDir: String
    let kubeconfigDir: String
    let reporter: Reporter
    let now: Date

    func path(_ spec: KubeConfigSpec) -> String { "\(kubeconfigDir)/\(spec.fileName)" }

    func loadCA() throws -> CertificateManager.LoadedCA {
        let manager = CertificateManager(settings: settings, directory: certificatesDir, reporter: reporter, now: now)
        return try manager.requireCA(named: "ca")
    }

    func ensure(_ spec: KubeConfigSpec) throws {
        let ca = try loadCA()
        let file = path(spec)
        let server = spec.server(settings)
        let userName = spec.userName(settings)
        if let existing = try KubeConfig.load(file) {
            try validate(existing, file: file, ca: ca.certificate, server: server, userName: userName)
            reporter.say("[kubeconfig] Using existing kubeconfig file: \"\(file)\"")
            return
        }
        guard let caKey = ca.key else {
            throw PKIError("the ca certificate authority has no private key (\(ca.paths.key) is missing: external CA mode), so \(file) cannot be generated here; provide it")
        }
        reporter.say("[kubeconfig] Writing \"\(spec.fileName)\" kubeconfig file")
        try write(spec, ca: CertificateAuthority(certificate: ca.certificate, key: caKey))
    }

    /// Issues a fresh client certificate and key for `spec` and writes the file atomically, mode 0600.
    func write(_ spec: KubeConfigSpec, ca: CertificateAuthority) throws {
        let key = try PrivateKey.generate(settings.encryptionAlgorithm)
        let request = CertificateRequest(commonName: spec.userName(settings), organizations: spec.organizations, usages: [.clientAuth])
        let cert = try CertificateIssuer.issue(request, for: key, by: ca, validity: settings.certificateValidity.seconds, now: now)
        let config = KubeConfig.embedded(clusterName: settings.clusterName, server: spec.server(settings),
                                         caPEM: try ca.certificate.pem(), userName: spec.userName(settings),
                                         clientCertificatePEM: try cert.pem(), clientKeyPEM: try key.pem())
        try config.write(to: path(spec))
    }

    func validate(_ config: KubeConfig, file: String, ca: PKICertificate, server: String, userName: String) throws {
        guard let cluster = config.currentCluster else {
            throw PKIError("a kubeconfig file \"\(file)\" exists already but has no current cluster; remove it to have it regenerated")
        }
        let existingCA = KubeConfig.decodeData(cluster.certificateAuthorityData).flatMap { try? PKICertificate(pem: $0) }
        guard existingCA == ca else {
            throw PKIError("a kubeconfig file \"\(file)\" exists already but has got the wrong CA cert; remove it to have it regenerated")
        }
        guard cluster.server == server else {
            throw PKIError("a kubeconfig file \"\(file)\" exists already but has got the wrong API Server URL: it has \(cluster.server), the configuration expects \(server); remove it to have it regenerated")
        }
        if let data = config.currentUser?.clientCertificateData, let pem = KubeConfig.decodeData(data),
           let client = try? PKICertificate(pem: pem) {
            guard client.isSigned(by: ca) else {
                throw PKIError("a kubeconfig file \"\(file)\" exists already but its client certificate is not signed by the cluster CA; remove it to have it regenerated")
            }
            guard client.commonName == userName else {
                throw PKIError("a kubeconfig file \"\(file)\" exists already but authenticates as \"\(client.commonName)\" instead of \"\(userName)\"; remove it to have it regenerated")
            }
        }
    }
}
