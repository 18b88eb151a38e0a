import Crypto
import _CryptoExtras
import Foundation
import KubeJSON

/// A public key that verifies service account tokens (`--service-account-key-file`), with upstream's key ID: the
/// unpadded base64url SHA-256 of the key's PKIX DER encoding, so a token's `kid` names the key that signed it.
public struct VerificationKey: Sendable {
    enum Backing: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
    }

    let backing: Backing
    public let keyID: String

    init(_ backing: Backing) {
        self.backing = backing
        let der: Data
        switch backing {
        case .rsa(let key): der = key.derRepresentation
        case .p256(let key): der = key.derRepresentation
        case .p384(let key): der = key.derRepresentation
        }
        keyID = Base64.urlEncode(Array(SHA256.hash(data: der)))
    }

    public var algorithm: String {
        switch backing {
        case .rsa: return "RS256"
        case .p256: return "ES256"
        case .p384: return "ES384"
        }
    }

    /// Every key in a PEM file, as upstream's keyutil.ParsePublicKeysPEM reads `--service-account-key-file`: public
    /// keys (`PUBLIC KEY`, `RSA PUBLIC KEY`) and private keys (whose public half is taken), one or more blocks.
    public static func keys(pem text: String, source: String) throws(TokenKeyError) -> [VerificationKey] {
        var keys: [VerificationKey] = []
        for block in PEMBlocks.split(text) {
            if let key = try? P256.Signing.PublicKey(pemRepresentation: block.text) {
                keys.append(VerificationKey(.p256(key)))
            } else if let key = try? P384.Signing.PublicKey(pemRepresentation: block.text) {
                keys.append(VerificationKey(.p384(key)))
            } else if let key = try? _RSA.Signing.PublicKey(pemRepresentation: block.text) {
                keys.append(VerificationKey(.rsa(key)))
            } else if block.label.hasSuffix("PRIVATE KEY"), let key = try? SigningKey(pem: block.text, source: source) {
                keys.append(key.publicKey)
            } else if block.label == "CERTIFICATE" {
                continue  // upstream skips certificates in a key file too
            } else {
                throw TokenKeyError("\(source): the \"\(block.label)\" block is not a supported public or private key (RSA, ECDSA P-256/P-384)")
            }
        }
        guard !keys.isEmpty else { throw TokenKeyError("\(source): no PEM public or private key found") }
        return keys
    }

    func isValid(signature: [UInt8], for signingInput: [UInt8], algorithm: String) -> Bool {
        let data = Data(signingInput)
        switch (backing, algorithm) {
        case (.rsa(let key), "RS256"):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: SHA256.hash(data: data),
                                        padding: .insecurePKCS1v1_5)
        case (.p256(let key), "ES256"):
            guard let s = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(s, for: SHA256.hash(data: data))
        case (.p384(let key), "ES384"):
            guard let s = try? P384.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(s, for: SHA384.hash(data: data))
        default:
            return false
        }
    }

    /// The key as a JSON Web Key (RFC 7517), as `/openid/v1/jwks` lists it.
    public var jwk: JSONValue {
        var key: JSONValue = ["use": "sig", "kid": .string(keyID), "alg": .string(algorithm)]
        switch backing {
        case .rsa(let rsa):
            key["kty"] = "RSA"
            if let primitives = try? rsa.getKeyPrimitives() {
                key["n"] = .string(Base64.urlEncode(Self.trimmed(primitives.modulus)))
                key["e"] = .string(Base64.urlEncode(Self.trimmed(primitives.publicExponent)))
            }
        case .p256(let ec):
            key["kty"] = "EC"
            key["crv"] = "P-256"
            let point = Array(ec.x963Representation.dropFirst())
            key["x"] = .string(Base64.urlEncode(point[0..<32]))
            key["y"] = .string(Base64.urlEncode(point[32...]))
        case .p384(let ec):
            key["kty"] = "EC"
            key["crv"] = "P-384"
            let point = Array(ec.x963Representation.dropFirst())
            key["x"] = .string(Base64.urlEncode(point[0..<48]))
            key["y"] = .string(Base64.urlEncode(point[48...]))
        }
        return key
    }

    /// Big-endian integers without leading zero bytes (RFC 7518 §6.3.1).
    static func trimmed(_ bytes: Data) -> [UInt8] {
        let array = Array(bytes)
        let start = array.firstIndex { $0 != 0 } ?? max(0, array.count - 1)
        return Array(array[start...])
    }
}

/// The blocks of a PEM file: label and the block's own text (for parsers that take one block).
enum PEMBlocks {
    struct Block {
        var label: String
        var text: String
    }

    static func split(_ text: String) -> [Block] {
        var blocks: [Block] = []
        var current: [Substring] = []
        var label: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if label == nil, trimmed.hasPrefix("-----BEGIN "), trimmed.hasSuffix("-----") {
                label = String(trimmed.dropFirst("-----BEGIN ".count).dropLast(5))
                current = [Substring(trimmed)]
            } else if let l = label {
                current.append(Substring(trimmed))
                if trimmed == "-----END \(l)-----" {
                    blocks.append(Block(label: l, text: current.joined(separator: "\n") + "\n"))
                    label = nil
                }
            }
        }
        return blocks
    }
}
