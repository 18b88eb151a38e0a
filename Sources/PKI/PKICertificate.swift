import FoundationEssentials
import SwiftASN1
import X509

/// An X.509 certificate with the questions kubeadm asks of it answered directly:
/// subject CN and O, SANs, CA-ness, validity, who signed it and which key it belongs to.
public struct PKICertificate: Sendable, Equatable {
    public let certificate: Certificate

    public init(_ certificate: Certificate) {
        self.certificate = certificate
    }

    /// Parses the first certificate in a PEM text.
    public init(pem: String) throws(PKIError) {
        do {
            certificate = try Certificate(pemEncoded: pem)
        } catch {
            throw PKIError("not a valid PEM-encoded certificate: \(error)")
        }
    }

    /// Parses DER bytes (a TLS peer certificate).
    public init(der: [UInt8]) throws(PKIError) {
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw PKIError("not a valid DER-encoded certificate: \(error)")
        }
    }

    public func pem() throws -> String {
        try certificate.serializeAsPEM().pemString + "\n"
    }

    public var commonName: String { attributes(.RDNAttributeType.commonName).first ?? "" }
    public var organizations: [String] { attributes(.RDNAttributeType.organizationName) }
    public var issuerCommonName: String {
        for rdn in certificate.issuer {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                return String(attribute.value) ?? attribute.value.description
            }
        }
        return ""
    }

    private func attributes(_ type: ASN1ObjectIdentifier) -> [String] {
        var out: [String] = []
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == type {
                out.append(String(attribute.value) ?? attribute.value.description)
            }
        }
        return out
    }

    public var notBefore: Date { certificate.notValidBefore }
    public var notAfter: Date { certificate.notValidAfter }

    public var isCA: Bool {
        guard let constraints = try? certificate.extensions.basicConstraints else { return false }
        if case .isCertificateAuthority = constraints { return true }
        return false
    }

    public var altNames: AltNames {
        var names = AltNames()
        guard let sans = try? certificate.extensions.subjectAlternativeNames else { return names }
        for name in sans {
            switch name {
            case .dnsName(let dns): names.addDNSName(dns)
            case .ipAddress(let octets):
                if let ip = IPAddress(bytes: Array(octets.bytes)) { names.addIP(ip) }
            default: break
            }
        }
        return names
    }

    public var extendedUsages: [ExtendedUsage] {
        guard let eku = try? certificate.extensions.extendedKeyUsage else { return [] }
        var out: [ExtendedUsage] = []
        if eku.contains(.serverAuth) { out.append(.serverAuth) }
        if eku.contains(.clientAuth) { out.append(.clientAuth) }
        return out
    }

    var subjectKeyIdentifier: ArraySlice<UInt8>? {
        (try? certificate.extensions.subjectKeyIdentifier)?.keyIdentifier
    }

    /// True when `ca` issued this certificate: the issuer name matches the CA's subject and the signature verifies.
    public func isSigned(by ca: PKICertificate) -> Bool {
        certificate.issuer == ca.certificate.subject
            && ca.certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
    }

    /// True when `key` is the private half of this certificate's public key.
    public func matches(_ key: PrivateKey) -> Bool {
        key.publicKey == certificate.publicKey
    }

    public static func == (lhs: PKICertificate, rhs: PKICertificate) -> Bool { lhs.certificate == rhs.certificate }
}

/// The extended key usages kubeadm puts on leaf certificates.
public enum ExtendedUsage: String, Sendable, Equatable {
    case serverAuth
    case clientAuth
}
