import APIServer
import Foundation
import PKI

/// x509 client-certificate authentication against `--client-ca-file`, done after the TLS handshake (as upstream:
/// the handshake accepts any certificate, and a certificate that does not verify makes the request
/// unauthenticated → 401, never a different identity).
public struct ClientCertificateAuthenticator: Sendable {
    public let authorities: [PKICertificate]

    public init(caFile: String) throws {
        let text: String
        do { text = try String(contentsOfFile: caFile, encoding: .utf8) } catch {
            throw ServerConfigurationError("--client-ca-file \(caFile): cannot read: \(error.localizedDescription)")
        }
        var certs: [PKICertificate] = []
        for block in text.components(separatedBy: "-----END CERTIFICATE-----") {
            guard let start = block.range(of: "-----BEGIN CERTIFICATE-----") else { continue }
            let pem = String(block[start.lowerBound...]) + "-----END CERTIFICATE-----\n"
            do { certs.append(try PKICertificate(pem: pem)) } catch {
                throw ServerConfigurationError("--client-ca-file \(caFile): not a PEM certificate: \(error)")
            }
        }
        guard !certs.isEmpty else { throw ServerConfigurationError("--client-ca-file \(caFile): no certificate found") }
        authorities = certs
    }

    public enum Result: Sendable {
        case user(UserInfo)
        case rejected(String)
    }

    public func authenticate(derBytes: [UInt8], now: Date = Date()) -> Result {
        let cert: PKICertificate
        do { cert = try PKICertificate(der: derBytes) } catch { return .rejected("unparseable client certificate") }
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
        return .user(UserInfo.fromCertificate(commonName: cert.commonName, organizations: cert.organizations))
    }
}

public struct ServerConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
