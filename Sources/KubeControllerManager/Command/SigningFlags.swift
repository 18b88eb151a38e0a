import FoundationEssentials
import KubeAPI
import KubeCommand
import PKI

/// csrsigning's flags: one CA for every Kubernetes signer (--cluster-signing-cert-file/--cluster-signing-key-file,
/// what kubeadm writes), or one per signer; never both, as upstream refuses.
enum SigningFlags {
    /// (flag infix, signer name), as upstream's per-signer flags are named.
    static let perSigner = [("kubelet-serving", CertificateSigningRequest.kubeletServingSignerName),
                            ("kubelet-client", CertificateSigningRequest.kubeAPIServerClientKubeletSignerName),
                            ("kube-apiserver-client", CertificateSigningRequest.kubeAPIServerClientSignerName),
                            ("legacy-unknown", CertificateSigningRequest.legacyUnknownSignerName)]

    static var flags: [Flag] {
        var flags = [
            Flag("cluster-signing-cert-file", usage: "Filename containing a PEM-encoded X509 CA certificate used to issue cluster-scoped certificates.  If specified, no more specific --cluster-signing-* flag may be specified."),
            Flag("cluster-signing-key-file", usage: "Filename containing a PEM-encoded RSA or ECDSA private key used to sign cluster-scoped certificates.  If specified, no more specific --cluster-signing-* flag may be specified."),
            Flag("cluster-signing-duration", kind: .duration, default: "8760h0m0s", usage: "The max length of duration signed certificates will be given.  Individual CSRs may request shorter certs by setting spec.expirationSeconds."),
        ]
        for (infix, signer) in perSigner {
            flags.append(Flag("cluster-signing-\(infix)-cert-file", usage: "Filename containing a PEM-encoded X509 CA certificate used to issue certificates for the \(signer) signer.  If specified, --cluster-signing-{cert,key}-file must not be set."))
            flags.append(Flag("cluster-signing-\(infix)-key-file", usage: "Filename containing a PEM-encoded RSA or ECDSA private key used to sign certificates for the \(signer) signer.  If specified, --cluster-signing-{cert,key}-file must not be set."))
        }
        return flags
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The CA of each signer the flags configure, read and checked now (a CA that does not load stops the
    /// controller-manager, as upstream's does); empty when none is configured.
    static func authorities(_ flags: ParsedFlags) throws(Failure) -> [String: SigningKeyPair] {
        func value(_ name: String) -> String { flags.string(name) ?? "" }
        let generic = (value("cluster-signing-cert-file"), value("cluster-signing-key-file"))
        let missingGeneric = generic.0.isEmpty || generic.1.isEmpty
        let specific = perSigner.map { (infix, signer) in
            (signer, value("cluster-signing-\(infix)-cert-file"), value("cluster-signing-\(infix)-key-file"))
        }
        let anySpecific = specific.contains { !$0.1.isEmpty || !$0.2.isEmpty }
        if missingGeneric && !anySpecific { return [:] }
        if !missingGeneric && anySpecific {
            throw Failure(description: "failed to start the csrsigning controller: cannot specify default and per controller certs at the same time")
        }
        var out: [String: SigningKeyPair] = [:]
        for (signer, certFile, keyFile) in specific {
            let files = anySpecific ? (certFile, keyFile) : generic
            if files.0.isEmpty && files.1.isEmpty { continue }
            out[signer] = try load(signer: signer, certFile: files.0, keyFile: files.1)
        }
        return out
    }

    static func load(signer: String, certFile: String, keyFile: String) throws(Failure) -> SigningKeyPair {
        func fail(_ why: String) -> Failure { Failure(description: "failed to start \(signer) certificate controller: \(why)") }
        guard let certificatePEM = try? String(contentsOfFile: certFile, encoding: .utf8) else {
            throw fail("error reading CA cert file \"\(certFile)\": cannot read the file")
        }
        guard let keyPEM = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw fail("error reading CA key file \"\(keyFile)\": cannot read the file")
        }
        let certificate: PKICertificate, key: PrivateKey
        do { certificate = try PKICertificate(pem: certificatePEM) } catch {
            throw fail("error reading CA cert file \"\(certFile)\": \(error)")
        }
        do { key = try PrivateKey(pem: keyPEM) } catch {
            throw fail("error reading CA key file \"\(keyFile)\": \(error)")
        }
        guard certificate.matches(key) else { throw fail("\(keyFile) is not the private key of \(certFile)") }
        return SigningKeyPair(certificatePEM: certificatePEM, keyPEM: keyPEM)
    }
}
