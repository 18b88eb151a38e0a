import Crypto
import _CryptoExtras
import Foundation
import KubeJSON

/// `--service-account-signing-key-file`: the private key that signs service account tokens, as upstream reads it
/// (PEM RSA in PKCS#1 or PKCS#8, or ECDSA P-256/P-384 in SEC1 or PKCS#8). RSA keys sign RS256, ECDSA keys ES256/ES384,
/// the algorithms upstream picks for each key type.
public struct SigningKey: Sendable {
    enum Backing: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    let backing: Backing
    public let publicKey: VerificationKey

    public init(pem: String, source: String) throws(TokenKeyError) {
        if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            backing = .p256(key)
            publicKey = VerificationKey(.p256(key.publicKey))
        } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
            backing = .p384(key)
            publicKey = VerificationKey(.p384(key.publicKey))
        } else if let key = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            backing = .rsa(key)
            publicKey = VerificationKey(.rsa(key.publicKey))
        } else {
            throw TokenKeyError("\(source): not a PEM private key of a supported type (RSA of 2048 bits or more, ECDSA P-256 or P-384)")
        }
    }

    public var algorithm: String { publicKey.algorithm }

    /// A JWS in compact serialization: `base64url(header).base64url(claims).base64url(signature)`, with the key ID
    /// in the header so verifiers holding several keys pick the right one.
    public func sign(claims: JSONValue) throws -> String {
        let header: JSONValue = ["alg": .string(algorithm), "kid": .string(publicKey.keyID)]
        let signingInput = Base64.urlEncode(JSONWriter.write(header)) + "." + Base64.urlEncode(JSONWriter.write(claims))
        let data = Data(signingInput.utf8)
        let signature: Data
        switch backing {
        case .rsa(let key): signature = try key.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation
        case .p256(let key): signature = try key.signature(for: SHA256.hash(data: data)).rawRepresentation
        case .p384(let key): signature = try key.signature(for: SHA384.hash(data: data)).rawRepresentation
        }
        return signingInput + "." + Base64.urlEncode(signature)
    }
}

public struct TokenKeyError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
