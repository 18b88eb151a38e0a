import AtomicFile

/// Where a certificate/key pair lives: `<dir>/<baseName>.crt` and `<dir>/<baseName>.key`
/// (baseName may contain a folder, as kubeadm's `etcd/ca`).
public struct CertificatePaths: Sendable, Equatable {
    public let directory: String
    public let baseName: String

    public init(directory: String, baseName: String) {
        self.directory = directory
        self.baseName = baseName
    }

    public var certificate: String { "\(directory)/\(baseName).crt" }
    public var key: String { "\(directory)/\(baseName).key" }
}

/// Reads and writes certificate and key files with kubeadm's modes: certificates 0644, private keys 0600,
/// every file written atomically.
public enum CertificateStore {
    /// Loads a certificate, or nil if the file does not exist; an unreadable or invalid file is an error naming it.
    public static func loadCertificate(_ path: String) throws(PKIError) -> PKICertificate? {
        let text: String?
        do { text = try AtomicFile.readText(path) } catch { throw PKIError("\(error)") }
        guard let text else { return nil }
        do { return try PKICertificate(pem: text) } catch {
            throw PKIError("\(path) is \(error)")
        }
    }

    /// Loads a private key, or nil if the file does not exist.
    public static func loadKey(_ path: String) throws(PKIError) -> PrivateKey? {
        let text: String?
        do { text = try AtomicFile.readText(path) } catch { throw PKIError("\(error)") }
        guard let text else { return nil }
        do { return try PrivateKey(pem: text) } catch {
            throw PKIError("\(path): \(error)")
        }
    }

    /// Writes the key first, then the certificate, each atomically; a reader sees either the old pair or the new one
    /// for each file, never a partial file.
    public static func write(certificate: PKICertificate, key: PrivateKey, to paths: CertificatePaths) throws(PKIError) {
        do {
            let keyPEM = try key.pem()
            let certPEM = try certificate.pem()
            try AtomicFile.makeDirectories(AtomicFile.directoryName(of: paths.key), mode: 0o755)
            try AtomicFile.write(keyPEM, to: paths.key, mode: 0o600)
            try AtomicFile.write(certPEM, to: paths.certificate, mode: 0o644)
        } catch let error as FileError {
            throw PKIError("\(error)")
        } catch {
            throw PKIError("cannot encode \(paths.certificate): \(error)")
        }
    }

    /// Writes a key pair without certificate (kubeadm's `sa.key` / `sa.pub`).
    public static func writeKeyPair(_ key: PrivateKey, privatePath: String, publicPath: String) throws(PKIError) {
        do {
            let keyPEM = try key.pem()
            let pubPEM = try key.publicKeyPEM()
            try AtomicFile.makeDirectories(AtomicFile.directoryName(of: privatePath), mode: 0o755)
            try AtomicFile.write(keyPEM, to: privatePath, mode: 0o600)
            try AtomicFile.write(pubPEM, to: publicPath, mode: 0o644)
        } catch let error as FileError {
            throw PKIError("\(error)")
        } catch {
            throw PKIError("cannot encode \(privatePath): \(error)")
        }
    }
}
