import AtomicFile
import Foundation
import KubeadmAPI
import KubeConfig
import PKI

/// Everything `certs check-expiration` and `certs renew` look at: the leaf certificates of the PKI folder and the
/// client certificates embedded in the kubeconfig files, each with the CA that signs it.
struct CertificateInventory {
    let certificatesDir: String
    let kubeconfigDir: String

    struct Entry {
        let name: String
        let caName: String
        let certificate: PKICertificate?
        let location: String
        let renewalMessage: String
        let consumer: String?
    }

    struct Authority {
        let name: String
        let certificate: PKICertificate?
        let hasKey: Bool
        let paths: CertificatePaths
    }

    func authorities() throws -> [Authority] {
        try KubeadmCertList.authorities.map { spec in
            let paths = CertificatePaths(directory: certificatesDir, baseName: spec.baseName)
            return Authority(name: spec.name, certificate: try CertificateStore.loadCertificate(paths.certificate),
                             hasKey: AtomicFile.exists(paths.key), paths: paths)
        }.sorted { $0.name < $1.name }
    }

    func entries() throws -> [Entry] {
        var out: [Entry] = []
        for spec in KubeadmCertList.leaves {
            let paths = CertificatePaths(directory: certificatesDir, baseName: spec.baseName)
            out.append(Entry(name: spec.name, caName: spec.caName ?? "", certificate: try CertificateStore.loadCertificate(paths.certificate),
                             location: paths.certificate, renewalMessage: spec.longName,
                             consumer: spec.consumer))
        }
        for spec in KubeConfigList.all {
            let path = "\(kubeconfigDir)/\(spec.fileName)"
            var cert: PKICertificate? = nil
            if let config = try KubeConfig.load(path), let pem = KubeConfig.decodeData(config.currentUser?.clientCertificateData) {
                cert = try? PKICertificate(pem: pem)
            }
            out.append(Entry(name: spec.fileName, caName: "ca", certificate: cert, location: path,
                             renewalMessage: spec.longName, consumer: spec.consumer))
        }
        return out.sorted { $0.name < $1.name }
    }
}

/// Go's `duration.ShortHumanDuration`, as kubeadm prints residual time.
func shortHumanDuration(_ seconds: Double) -> String {
    let s = Int(seconds)
    if s < -1 { return "<invalid>" }
    if s < 0 { return "0s" }
    if s < 60 { return "\(s)s" }
    if s / 60 < 60 { return "\(s / 60)m" }
    let hours = s / 3600
    if hours < 24 { return "\(hours)h" }
    if hours < 24 * 365 { return "\(hours / 24)d" }
    return "\(hours / 24 / 365)y"
}

/// kubeadm's expiry date format: `Nov 25, 2027 03:28 UTC`.
func kubeadmDateFormatter() -> DateFormatter {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "MMM dd, yyyy HH:mm 'UTC'"
    return formatter
}
