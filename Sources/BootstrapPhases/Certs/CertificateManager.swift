import Foundation
import KubeadmAPI
import PKI

/// Creates kubeadm's certificates idempotently: an existing valid pair is reused, a pair that no longer fits
/// the configuration is an error naming the file and what is wrong, and only what is missing is generated.
struct CertificateManager {
    let settings: InitSettings
    let directory: String
    let reporter: Reporter
    let now: Date

    /// A CA as found or created: the key is nil in external-CA mode (`ca.crt` present, `ca.key` absent).
    struct LoadedCA {
        let certificate: PKICertificate
        let key: PrivateKey?
        let paths: CertificatePaths
    }

    func paths(_ cert: KubeadmCert) -> CertificatePaths {
        CertificatePaths(directory: directory, baseName: cert.baseName)
    }

    /// Ensures a CA exists and is usable.
    @discardableResult
    func ensureCA(_ spec: KubeadmCert) throws -> LoadedCA {
        let p = paths(spec)
        if let existing = try loadExistingCA(spec) {
            if existing.key == nil {
                reporter.say("[certs] Using existing \(spec.baseName) keyless certificate authority")
            } else {
                reporter.say("[certs] Using existing \(spec.baseName) certificate authority")
            }
            warnIfExpiring(existing.certificate, path: p.certificate)
            return existing
        }
        reporter.say("[certs] Generating \"\(spec.baseName)\" certificate and key")
        let key = try PrivateKey.generate(settings.encryptionAlgorithm)
        let cert = try CertificateIssuer.selfSignedCA(commonName: spec.request(settings).commonName, key: key,
                                                      validity: settings.caCertificateValidity.seconds, now: now)
        try CertificateStore.write(certificate: cert, key: key, to: p)
        return LoadedCA(certificate: cert, key: key, paths: p)
    }

    /// Loads a CA from disk; nil when its certificate does not exist.
    func loadExistingCA(_ spec: KubeadmCert) throws -> LoadedCA? {
        let p = paths(spec)
        guard let cert = try CertificateStore.loadCertificate(p.certificate) else { return nil }
        guard cert.isCA else {
            throw PKIError("\(p.certificate) is not a CA certificate (BasicConstraints CA:TRUE is missing); remove it and \(p.key) to have a new \(spec.name) generated")
        }
        let key = try CertificateStore.loadKey(p.key)
        if let key, !cert.matches(key) {
            throw PKIError("the private key \(p.key) does not match the certificate \(p.certificate)")
        }
        return LoadedCA(certificate: cert, key: key, paths: p)
    }

    /// Loads the CA a leaf needs, with an error that says which phase creates it.
    func requireCA(named name: String) throws -> LoadedCA {
        guard let spec = KubeadmCertList.named(name) else { throw PKIError("unknown certificate authority \(name)") }
        guard let ca = try loadExistingCA(spec) else {
            throw PKIError("couldn't load the \(name) certificate authority from \(paths(spec).certificate): no such file; run 'bootstrap init phase certs \(name)' first")
        }
        return ca
    }

    /// Ensures a leaf certificate exists, is signed by its CA, belongs to its key and carries every SAN required.
    func ensureLeaf(_ spec: KubeadmCert) throws {
        guard let caName = spec.caName else { return }
        let ca = try requireCA(named: caName)
        let p = paths(spec)
        let request = spec.request(settings)
        let existingCert = try CertificateStore.loadCertificate(p.certificate)
        let existingKey = try CertificateStore.loadKey(p.key)

        if let cert = existingCert, let key = existingKey {
            guard cert.isSigned(by: ca.certificate) else {
                throw PKIError("the certificate \(p.certificate) is not signed by the \(caName) certificate authority in \(ca.paths.certificate) (it names issuer \"\(cert.issuerCommonName)\"); remove \(p.certificate) and \(p.key) to have them regenerated")
            }
            guard cert.matches(key) else {
                throw PKIError("the private key \(p.key) does not match the certificate \(p.certificate); remove both to have them regenerated")
            }
            let missing = Self.missingSANs(required: request.altNames, present: cert.altNames)
            guard missing.isEmpty else {
                throw PKIError("the certificate \(p.certificate) is missing the subject alternative name\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) required by the configuration; remove \(p.certificate) and \(p.key) to have them regenerated with it")
            }
            reporter.say("[certs] Using existing \(spec.baseName) certificate and key on disk")
            warnIfExpiring(cert, path: p.certificate)
            return
        }
        guard let caKey = ca.key else {
            throw PKIError("the \(caName) certificate authority has no private key (\(ca.paths.key) is missing: external CA mode), so \(p.certificate) cannot be generated here; provide \(p.certificate) and \(p.key) signed by that CA")
        }
        reporter.say("[certs] Generating \"\(spec.baseName)\" certificate and key")
        let key = try PrivateKey.generate(settings.encryptionAlgorithm)
        let cert = try CertificateIssuer.issue(request, for: key, by: CertificateAuthority(certificate: ca.certificate, key: caKey),
                                               validity: settings.certificateValidity.seconds, now: now)
        try CertificateStore.write(certificate: cert, key: key, to: p)
        if spec.isServing {
            let names = request.altNames
            reporter.say("[certs] \(spec.baseName) serving cert is signed for DNS names [\(names.dnsNames.joined(separator: " "))] and IPs [\(names.ipAddresses.map(\.description).joined(separator: " "))]")
        }
    }

    /// Ensures the service-account signing key pair (`sa.key`, `sa.pub`) exists.
    func ensureServiceAccountKey() throws {
        let keyPath = "\(directory)/sa.key"
        let pubPath = "\(directory)/sa.pub"
        if let key = try CertificateStore.loadKey(keyPath) {
            let expectedPub = try key.publicKeyPEM()
            if let existingPub = try? String(contentsOfFile: pubPath, encoding: .utf8) {
                guard existingPub.trimmingCharacters(in: .whitespacesAndNewlines) == expectedPub.trimmingCharacters(in: .whitespacesAndNewlines) else {
                    throw PKIError("the public key \(pubPath) does not match the private key \(keyPath); remove both to have them regenerated")
                }
                reporter.say("[certs] Using the existing \"sa\" key")
                return
            }
            reporter.say("[certs] Using the existing \"sa\" key; writing its missing public key")
            try CertificateStore.writeKeyPair(key, privatePath: keyPath, publicPath: pubPath)
            return
        }
        reporter.say("[certs] Generating \"sa\" key and public key")
        let key = try PrivateKey.generate(settings.encryptionAlgorithm)
        try CertificateStore.writeKeyPair(key, privatePath: keyPath, publicPath: pubPath)
    }

    static func missingSANs(required: AltNames, present: AltNames) -> [String] {
        required.dnsNames.filter { !present.dnsNames.contains($0) }.map { "DNS:\($0)" }
            + required.ipAddresses.filter { !present.ipAddresses.contains($0) }.map { "IP:\($0)" }
    }

    func warnIfExpiring(_ cert: PKICertificate, path: String) {
        if cert.notAfter < now {
            reporter.warn("[certs] WARNING: the certificate \(path) expired on \(cert.notAfter); renew it with 'bootstrap certs renew'")
        } else if cert.notBefore > now.addingTimeInterval(300) {
            reporter.warn("[certs] WARNING: the certificate \(path) is not valid before \(cert.notBefore); check the system clock")
        }
    }
}
