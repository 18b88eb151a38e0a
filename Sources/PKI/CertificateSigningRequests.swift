import FoundationEssentials
import SwiftASN1
import X509

/// A PKCS#10 certificate signing request as the certificates.k8s.io API reads one (`spec.request`): the first PEM
/// block must be a `CERTIFICATE REQUEST` whose signature verifies. The subject and the requested names are what the
/// signers and the approver judge.
public struct ParsedCertificateRequest: Sendable {
    public let request: CertificateSigningRequest

    /// Parses PEM bytes as upstream's `certificates.ParseCSR` followed by `CheckSignature`; the error's message is
    /// the one the API answers with.
    public init(pem: [UInt8]) throws(PKIError) {
        guard let block = PEMBlocks.first(pem), block.type == "CERTIFICATE REQUEST" else {
            throw PKIError("PEM block type must be CERTIFICATE REQUEST")
        }
        let request: CertificateSigningRequest
        do {
            request = try CertificateSigningRequest(derEncoded: block.bytes)
        } catch {
            throw PKIError("x509: malformed certificate request")
        }
        guard request.publicKey.isValidSignature(request.signature, for: request) else {
            throw PKIError(Self.ecdsaAlgorithms.contains(request.signatureAlgorithm)
                           ? "x509: ECDSA verification failure" : "crypto/rsa: verification error")
        }
        self.request = request
    }

    static let ecdsaAlgorithms: [Certificate.SignatureAlgorithm] = [.ecdsaWithSHA256, .ecdsaWithSHA384, .ecdsaWithSHA512]

    public var commonName: String { attributes(.RDNAttributeType.commonName).first ?? "" }
    public var organizations: [String] { attributes(.RDNAttributeType.organizationName) }

    private func attributes(_ type: ASN1ObjectIdentifier) -> [String] {
        var out: [String] = []
        for rdn in request.subject {
            for attribute in rdn where attribute.type == type {
                out.append(String(attribute.value) ?? attribute.value.description)
            }
        }
        return out
    }

    /// The subject alternative names the request asks for (its extensionRequest attribute).
    public var requestedNames: [GeneralName] {
        guard let extensions = (try? request.attributes.extensionRequest)??.extensions,
              let names = try? extensions.subjectAlternativeNames else { return [] }
        return Array(names)
    }

    public var dnsNames: [String] { requestedNames.compactMap { if case .dnsName(let n) = $0 { return n } else { return nil } } }
    public var emailAddresses: [String] { requestedNames.compactMap { if case .rfc822Name(let n) = $0 { return n } else { return nil } } }
    public var uris: [String] { requestedNames.compactMap { if case .uniformResourceIdentifier(let n) = $0 { return n } else { return nil } } }
    public var ipAddresses: [IPAddress] {
        requestedNames.compactMap { if case .ipAddress(let o) = $0 { return IPAddress(bytes: Array(o.bytes)) } else { return nil } }
    }
}

/// The certificates.k8s.io key usages (`spec.usages`), as the local signer turns them into X.509 extensions.
public enum KeyUsages {
    /// Every usage the API accepts, sorted as upstream lists them in its "supported values".
    public static let all = ["any", "cert sign", "client auth", "code signing", "content commitment", "crl sign", "data encipherment",
                             "decipher only", "digital signature", "email protection", "encipher only", "ipsec end system",
                             "ipsec tunnel", "ipsec user", "key agreement", "key encipherment", "microsoft sgc", "netscape sgc",
                             "ocsp signing", "s/mime", "server auth", "signing", "timestamping"]

    /// Extended key usages in the order of Go's x509.ExtKeyUsage constants (the signer sorts them so).
    static let extended: [(String, ASN1ObjectIdentifier)] = [
        ("any", [2, 5, 29, 37, 0]), ("server auth", [1, 3, 6, 1, 5, 5, 7, 3, 1]), ("client auth", [1, 3, 6, 1, 5, 5, 7, 3, 2]),
        ("code signing", [1, 3, 6, 1, 5, 5, 7, 3, 3]), ("email protection", [1, 3, 6, 1, 5, 5, 7, 3, 4]),
        ("s/mime", [1, 3, 6, 1, 5, 5, 7, 3, 4]), ("ipsec end system", [1, 3, 6, 1, 5, 5, 7, 3, 5]),
        ("ipsec tunnel", [1, 3, 6, 1, 5, 5, 7, 3, 6]), ("ipsec user", [1, 3, 6, 1, 5, 5, 7, 3, 7]),
        ("timestamping", [1, 3, 6, 1, 5, 5, 7, 3, 8]), ("ocsp signing", [1, 3, 6, 1, 5, 5, 7, 3, 9]),
        ("microsoft sgc", [1, 3, 6, 1, 4, 1, 311, 10, 3, 3]), ("netscape sgc", [2, 16, 840, 1, 113730, 4, 1]),
    ]
    static let basic: Set<String> = ["signing", "digital signature", "content commitment", "key encipherment", "key agreement",
                                     "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only"]

    /// The KeyUsage bits and extended key usages for `usages`; upstream's "unrecognized usage values" error otherwise.
    static func extensions(_ usages: [String]) throws(PKIError) -> (KeyUsage?, [ExtendedKeyUsage.Usage]) {
        let unrecognized = usages.filter { usage in !basic.contains(usage) && !extended.contains { $0.0 == usage } }
        if !unrecognized.isEmpty {
            throw PKIError("unrecognized usage values: [\(unrecognized.map { "\"\($0)\"" }.joined(separator: " "))]")
        }
        let set = Set(usages)
        var keyUsage: KeyUsage?
        if !set.isDisjoint(with: basic) {
            keyUsage = KeyUsage(digitalSignature: set.contains("signing") || set.contains("digital signature"),
                                nonRepudiation: set.contains("content commitment"),
                                keyEncipherment: set.contains("key encipherment"), dataEncipherment: set.contains("data encipherment"),
                                keyAgreement: set.contains("key agreement"), keyCertSign: set.contains("cert sign"),
                                cRLSign: set.contains("crl sign"), encipherOnly: set.contains("encipher only"),
                                decipherOnly: set.contains("decipher only"))
        }
        var oids: [ASN1ObjectIdentifier] = []
        for (name, oid) in extended where set.contains(name) && !oids.contains(oid) { oids.append(oid) }
        return (keyUsage, oids.map { ExtendedKeyUsage.Usage(oid: $0) })
    }
}

extension CertificateIssuer {
    /// Upstream's local signer (PermissiveSigningPolicy): the request's subject and SANs, the usages asked for,
    /// BasicConstraints CA:FALSE, no other requested extension; valid from five minutes ago for `ttl` (the five
    /// minutes taken off the end unless the certificate is short-lived, under 8 h), never past the CA's own end.
    public static func sign(_ request: ParsedCertificateRequest, usages: [String], ttl: TimeInterval, by ca: CertificateAuthority,
                            now: Date = Date()) throws(PKIError) -> PKICertificate {
        let now = wholeSeconds(now)
        let backdate: TimeInterval = 5 * 60
        let notBefore = now.addingTimeInterval(-backdate)
        var notAfter = ttl < 8 * 3600 ? now.addingTimeInterval(ttl) : now.addingTimeInterval(ttl - backdate)
        if notAfter >= ca.certificate.notAfter { notAfter = ca.certificate.notAfter }
        guard notBefore < ca.certificate.notAfter, now < ca.certificate.notAfter else {
            throw PKIError("the signer has expired: NotAfter=\(ca.certificate.notAfter)")
        }
        let (keyUsage, extendedUsages) = try KeyUsages.extensions(usages)
        let names = request.requestedNames.filter {
            switch $0 {
            case .dnsName, .ipAddress, .rfc822Name, .uniformResourceIdentifier: return true
            default: return false
            }
        }
        let authorityKeyID = ca.certificate.subjectKeyIdentifier
        do {
            let certificate = try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: request.request.publicKey,
                notValidBefore: notBefore,
                notValidAfter: notAfter,
                issuer: ca.certificate.certificate.subject,
                subject: request.request.subject,
                signatureAlgorithm: ca.key.signatureAlgorithm,
                extensions: try Certificate.Extensions {
                    if let keyUsage { Critical(keyUsage) }
                    if !extendedUsages.isEmpty { try ExtendedKeyUsage(extendedUsages) }
                    Critical(BasicConstraints.notCertificateAuthority)
                    if let authorityKeyID { AuthorityKeyIdentifier(keyIdentifier: authorityKeyID) }
                    if !names.isEmpty { SubjectAlternativeNames(names) }
                },
                issuerPrivateKey: ca.key.certificateKey)
            return PKICertificate(certificate)
        } catch {
            throw PKIError("failed to sign certificate: \(error)")
        }
    }
}

extension CertificateIssuer {
    /// A PEM `CERTIFICATE REQUEST` for `key`: the subject (O then CN, as kubeadm orders them) and, when given, the
    /// DNS and IP names in an extensionRequest (what a kubelet asks for; tests make theirs with it).
    public static func certificateRequest(commonName: String, organizations: [String] = [], altNames: AltNames = AltNames(),
                                          key: PrivateKey) throws -> String {
        let subject = try DistinguishedName {
            for organization in organizations { OrganizationName(organization) }
            CommonName(commonName)
        }
        var attributes = CertificateSigningRequest.Attributes()
        var names: [GeneralName] = altNames.dnsNames.map { .dnsName($0) }
        names += altNames.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: $0.bytes[...])) }
        if !names.isEmpty {
            let extensions = try Certificate.Extensions { SubjectAlternativeNames(names) }
            attributes.insert(try .init(ExtensionRequest(extensions: extensions)))
        }
        let request = try CertificateSigningRequest(version: .v1, subject: subject, privateKey: key.certificateKey,
                                                    attributes: attributes, signatureAlgorithm: key.signatureAlgorithm)
        return try request.serializeAsPEM().pemString + "\n"
    }
}
