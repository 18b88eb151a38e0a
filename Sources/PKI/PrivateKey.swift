import Crypto
import _CryptoExtras
import SwiftASN1
import X509

/// A private key of one of the algorithms kubeadm supports, with the PEM encodings kubeadm writes:
/// PKCS#1 `RSA PRIVATE KEY` for RSA and SEC1 `EC PRIVATE KEY` for ECDSA.
public struct PrivateKey: Sendable {
    enum Backing: Sendable {
        case rsa(_RSA.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
        case p384(P384.Signing.PrivateKey)
    }

    let backing: Backing

    /// Generates a fresh key.
    public static func generate(_ algorithm: EncryptionAlgorithm) throws -> PrivateKey {
        switch algorithm {
        case .rsa2048: return PrivateKey(backing: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
        case .rsa3072: return PrivateKey(backing: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits3072)))
        case .rsa4096: return PrivateKey(backing: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits4096)))
        case .ecdsaP256: return PrivateKey(backing: .p256(P256.Signing.PrivateKey()))
        case .ecdsaP384: return PrivateKey(backing: .p384(P384.Signing.PrivateKey()))
        }
    }

    /// Reads a PEM private key in PKCS#1, SEC1 or PKCS#8 form.
    public init(pem: String) throws(PKIError) {
        let document: PEMDocument
        do { document = try PEMDocument(pemString: pem) } catch {
            throw PKIError("not a PEM-encoded private key")
        }
        do {
            switch document.discriminator {
            case "RSA PRIVATE KEY":
                backing = .rsa(try _RSA.Signing.PrivateKey(derRepresentation: document.derBytes))
            case "EC PRIVATE KEY", "PRIVATE KEY":
                if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
                    backing = .p256(key)
                } else if let key = try? P384.Signing.PrivateKey(pemRepresentation: pem) {
                    backing = .p384(key)
                } else {
                    backing = .rsa(try _RSA.Signing.PrivateKey(derRepresentation: document.derBytes))
                }
            default:
                throw PKIError("unsupported PEM block \"\(document.discriminator)\"; expected a private key")
            }
        } catch let error as PKIError {
            throw error
        } catch {
            throw PKIError("cannot parse private key: \(error)")
        }
    }

    init(backing: Backing) { self.backing = backing }

    /// The algorithm of this key, as kubeadm names it.
    public var algorithm: EncryptionAlgorithm {
        switch backing {
        case .rsa(let key):
            switch key.keySizeInBits {
            case 3072: return .rsa3072
            case 4096: return .rsa4096
            default: return .rsa2048
            }
        case .p256: return .ecdsaP256
        case .p384: return .ecdsaP384
        }
    }

    public var isRSA: Bool {
        if case .rsa = backing { return true }
        return false
    }

    var certificateKey: Certificate.PrivateKey {
        switch backing {
        case .rsa(let key): return Certificate.PrivateKey(key)
        case .p256(let key): return Certificate.PrivateKey(key)
        case .p384(let key): return Certificate.PrivateKey(key)
        }
    }

    /// The public half as swift-certificates models it.
    public var publicKey: Certificate.PublicKey { certificateKey.publicKey }

    /// The signature algorithm Go's crypto/x509 picks for a key of this type.
    var signatureAlgorithm: Certificate.SignatureAlgorithm {
        switch backing {
        case .rsa: return .sha256WithRSAEncryption
        case .p256: return .ecdsaWithSHA256
        case .p384: return .ecdsaWithSHA384
        }
    }

    /// PEM text as kubeadm writes it.
    public func pem() throws -> String {
        switch backing {
        case .rsa(let key):
            return key.pemRepresentation + "\n"
        case .p256(let key):
            return try Self.sec1PEM(raw: Array(key.rawRepresentation), publicX963: Array(key.publicKey.x963Representation),
                                    curve: .NamedCurves.secp256r1)
        case .p384(let key):
            return try Self.sec1PEM(raw: Array(key.rawRepresentation), publicX963: Array(key.publicKey.x963Representation),
                                    curve: .NamedCurves.secp384r1)
        }
    }

    /// The public key as a PEM `PUBLIC KEY` (PKIX) block, as kubeadm writes `sa.pub`.
    public func publicKeyPEM() throws -> String {
        switch backing {
        case .rsa(let key): return key.publicKey.pemRepresentation + "\n"
        case .p256(let key): return key.publicKey.pemRepresentation + "\n"
        case .p384(let key): return key.publicKey.pemRepresentation + "\n"
        }
    }

    /// RFC 5915 ECPrivateKey: version 1, the scalar, the curve OID and the public point.
    private static func sec1PEM(raw: [UInt8], publicX963: [UInt8], curve: ASN1ObjectIdentifier) throws -> String {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try coder.serialize(ASN1OctetString(contentBytes: raw[...]))
            try coder.serialize(explicitlyTaggedWithTagNumber: 0, tagClass: .contextSpecific) { inner in
                try inner.serialize(curve)
            }
            try coder.serialize(explicitlyTaggedWithTagNumber: 1, tagClass: .contextSpecific) { inner in
                try inner.serialize(ASN1BitString(bytes: publicX963[...]))
            }
        }
        return PEMDocument(type: "EC PRIVATE KEY", derBytes: serializer.serializedBytes).pemString + "\n"
    }
}
