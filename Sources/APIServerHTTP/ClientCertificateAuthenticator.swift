import APIServer
import Foundation
import PKI

/// x509 client-certificate authentication against `--client-ca-file`, done after the TLS handshake (as upstream:
/// the handshake accepts any certificate, and a certificate that does not verify makes the request
/// unauthenticated → 401, never a different identity).
public struct ClientCertificateAuthenticator: Sendable {
    let verifier: ClientCertificateVerifier

    public init(caFile: String) throws {
        do { verifier = try ClientCertificateVerifier(bundlePath: caFile, source: "--client-ca-file") } catch {
            throw ServerConfigurationError(error.description)
        }
    }

    public enum Result: Sendable {
        case user(UserInfo)
        case rejected(String)
    }

    public func authenticate(derBytes: [UInt8], now: Date = Date()) -> Result {
        switch verifier.verify(der: derBytes, now: now) {
        case .verified(let cn, let organizations): return .user(UserInfo.fromCertificate(commonName: cn, organizations: organizations))
        case .rejected(let why): return .rejected(why)
        }
    }
}

public struct ServerConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
