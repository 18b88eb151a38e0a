/// The key algorithms kubeadm's v1beta4 `encryptionAlgorithm` field accepts, spelled as kubeadm spells them.
public enum EncryptionAlgorithm: String, CaseIterable, Sendable, Codable {
    case rsa2048 = "RSA-2048"
    case rsa3072 = "RSA-3072"
    case rsa4096 = "RSA-4096"
    case ecdsaP256 = "ECDSA-P256"
    case ecdsaP384 = "ECDSA-P384"

    /// kubeadm's default.
    public static let `default`: EncryptionAlgorithm = .rsa2048

    public var isRSA: Bool {
        switch self {
        case .rsa2048, .rsa3072, .rsa4096: return true
        case .ecdsaP256, .ecdsaP384: return false
        }
    }

    /// Parses a user-supplied name; the error lists the accepted values.
    public static func parse(_ text: String) throws(PKIError) -> EncryptionAlgorithm {
        guard let value = EncryptionAlgorithm(rawValue: text) else {
            throw PKIError("unknown encryption algorithm \"\(text)\": expected one of \(allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// An error from key or certificate handling, worded for the person who has to fix it.
public struct PKIError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
