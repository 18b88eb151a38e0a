import FoundationEssentials

/// Verifies a TLS peer's client certificate against a CA bundle the way upstream's x509 authenticator does:
/// signed by one of the authorities, within its validity, usable for client auth, with a CN. Shared by the
/// kube-apiserver (--client-ca-file) and the kubelet API (authentication.x509.clientCAFile).
public struct ClientCertificateVerifier: Sendable {
    public let authorities: [PKICertificate]

    /// Every certificate of a PEM bundle; `source` names the flag or field in errors.
    public init(bundlePath: String, source: String) throws(PKIError) {
        guard let text = try? String(contentsOfFile: bundlePath, encoding: .utf8) else {
            throw PKIError("\(source) \(bundlePath): cannot read")
        }
        var certs: [PKICertificate] = []
        for block in text.components(separatedBy: "-----END CERTIFICATE-----") {
            guard let start = block.firstRange(of: "-----BEGIN CERTIFICATE-----") else { continue }
            do { certs.append(try PKICertificate(pem: String(block[start.lowerBound...]) + "-----END CERTIFICATE-----\n")) } catch {
                throw PKIError("\(source) \(bundlePath): \(error)")
            }
        }
        guard !certs.isEmpty else { throw PKIError("\(source) \(bundlePath): no certificate found") }
        authorities = certs
    }

    public enum Outcome: Sendable {
        case verified(commonName: String, organizations: [String])
        case rejected(String)
    }

    public func verify(der: [UInt8], now: Date = Date()) -> Outcome {
        let cert: PKICertificate
        do { cert = try PKICertificate(der: der) } catch { return .rejected("unparseable client certificate") }
        guard authorities.contains(where: { cert.isSigned(by: $0) }) else {
            return .rejected("x509: certificate signed by unknown authority")
        }
        if now < cert.notBefore || now > cert.notAfter {
            return .rejected("x509: certificate has expired or is not yet valid")
        }
        let usages = cert.extendedUsages
        if !usages.isEmpty, !usages.contains(.clientAuth) {
            return .rejected("x509: certificate specifies an incompatible key usage")
        }
        guard !cert.commonName.isEmpty else { return .rejected("x509: subject with cn= is not allowed") }
        return .verified(commonName: cert.commonName, organizations: cert.organizations)
    }
}
