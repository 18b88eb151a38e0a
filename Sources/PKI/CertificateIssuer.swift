import FoundationEssentials
import SwiftASN1
import X509

/// What a certificate should say, independent of who signs it (kubeadm's certutil.Config).
public struct CertificateRequest: Sendable, Equatable {
    public var commonName: String
    public var organizations: [String]
    public var altNames: AltNames
    public var usages: [ExtendedUsage]

    public init(commonName: String, organizations: [String] = [], altNames: AltNames = AltNames(), usages: [ExtendedUsage]) {
        self.commonName = commonName
        self.organizations = organizations
        self.altNames = altNames
        self.usages = usages
    }
}

/// A CA certificate with its key, able to sign leaves.
public struct CertificateAuthority: Sendable {
    public let certificate: PKICertificate
    public let key: PrivateKey

    public init(certificate: PKICertificate, key: PrivateKey) {
        self.certificate = certificate
        self.key = key
    }
}

/// Builds and signs certificates with the extensions kubeadm (Go's crypto/x509) produces.
public enum CertificateIssuer {
    /// A self-signed CA: `CN=<commonName>`, critical KeyUsage (digitalSignature, certSign, and
    /// keyEncipherment for RSA keys), critical BasicConstraints CA:TRUE, and a subject key identifier.
    public static func selfSignedCA(commonName: String, key: PrivateKey, validity: TimeInterval,
                                    now: Date = Date()) throws -> PKICertificate {
        let now = wholeSeconds(now)
        let name = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: key.publicKey,
            notValidBefore: now,
            notValidAfter: now.addingTimeInterval(validity),
            issuer: name,
            subject: name,
            signatureAlgorithm: key.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: key.isRSA, keyCertSign: true))
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                SubjectKeyIdentifier(hash: key.publicKey)
            },
            issuerPrivateKey: key.certificateKey)
        return PKICertificate(certificate)
    }

    /// A leaf certificate for `subjectKey`, signed by `ca`. The leaf's validity is capped by the CA's.
    public static func issue(_ request: CertificateRequest, for subjectKey: PrivateKey, by ca: CertificateAuthority,
                             validity: TimeInterval, now: Date = Date()) throws -> PKICertificate {
        let now = wholeSeconds(now)
        let subject = try DistinguishedName {
            for organization in request.organizations { OrganizationName(organization) }
            CommonName(request.commonName)
        }
        var notAfter = now.addingTimeInterval(validity)
        if notAfter > ca.certificate.notAfter { notAfter = ca.certificate.notAfter }
        var generalNames: [GeneralName] = request.altNames.dnsNames.map { .dnsName($0) }
        generalNames += request.altNames.ipAddresses.map { .ipAddress(ASN1OctetString(contentBytes: $0.bytes[...])) }
        let ekus: [ExtendedKeyUsage.Usage] = request.usages.map { $0 == .serverAuth ? .serverAuth : .clientAuth }
        let authorityKeyID = ca.certificate.subjectKeyIdentifier
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: subjectKey.publicKey,
            notValidBefore: now,
            notValidAfter: notAfter,
            issuer: ca.certificate.certificate.subject,
            subject: subject,
            signatureAlgorithm: ca.key.signatureAlgorithm,
            extensions: try Certificate.Extensions {
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: subjectKey.isRSA))
                try ExtendedKeyUsage(ekus)
                if let authorityKeyID { AuthorityKeyIdentifier(keyIdentifier: authorityKeyID) }
                if !generalNames.isEmpty { SubjectAlternativeNames(generalNames) }
            },
            issuerPrivateKey: ca.key.certificateKey)
        return PKICertificate(certificate)
    }
}

/// X.509 times have one-second resolution; Go truncates, and so do we, so a certificate never claims a validity
/// that ends later than asked for.
func wholeSeconds(_ date: Date) -> Date {
    Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
}
