import AtomicFile
import CKubeletShims
import FoundationEssentials
import Glibc
import Logging
import PKI

/// The kubelet API's certificate when none is configured: a CA `<node>-ca@<unix time>` and a serving certificate
/// `<node>@<unix time>` for the node name, 127.0.0.1 and the node IP, written as upstream writes them
/// (`<root-dir>/pki/kubelet.crt` holding leaf then CA, `kubelet.key`).
enum SelfSignedServingCertificate {
    static func paths(rootDir: String) -> (cert: String, key: String) {
        (rootDir + "/pki/kubelet.crt", rootDir + "/pki/kubelet.key")
    }

    static func write(rootDir: String, nodeName: String, ips: [String]) throws {
        let (certPath, _) = paths(rootDir: rootDir)
        let now = Int(Date().timeIntervalSince1970)
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try CertificateIssuer.selfSignedCA(commonName: "\(nodeName)-ca@\(now)", key: caKey, validity: 365 * 86400)
        let key = try PrivateKey.generate(.ecdsaP256)
        let leaf = try CertificateIssuer.issue(
            CertificateRequest(commonName: "\(nodeName)@\(now)",
                               altNames: AltNames(dnsNames: [nodeName], ipAddresses: ips.compactMap { IPAddress($0) }),
                               usages: [.serverAuth]),
            for: key, by: CertificateAuthority(certificate: ca, key: caKey), validity: 365 * 86400)
        try CertificateStore.write(certificate: leaf, key: key, to: CertificatePaths(directory: rootDir + "/pki", baseName: "kubelet"))
        // The chain (leaf then CA) in one file, as upstream writes kubelet.crt.
        try AtomicFile.write(try leaf.pem() + (try ca.pem()), to: certPath)
    }

    /// The hidden flag that makes a kubelet process write the certificate and exit.
    static let helperFlag = "write-self-signed-serving-certificate"

    /// Generates the pair in a short-lived `kubelet --write-self-signed-serving-certificate` process. Key generation
    /// and certificate building run once per node, yet the code they touch (X.509, ASN.1, a second BoringSSL)
    /// would stay resident in this long-running process: about 2.5 MiB of its 20 MiB budget (BENCHMARKS.md).
    /// False when the helper could not run; the caller then generates in process.
    static func writeInHelperProcess(rootDir: String, nodeName: String, ips: [String], logger: Logger) -> Bool {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return false }
        let executable = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let argv = [executable, "--\(helperFlag)=\(rootDir)", "--hostname-override=\(nodeName)", "--node-ip=\(ips.joined(separator: ","))"]
        var pid: pid_t = 0
        let rc = withCStrings(argv) { cArgv in ks_spawn(executable, cArgv, environ, nil, 1, 2, -1, -1, &pid) }
        guard rc == 0 else {
            logger.warning("cannot start \(executable) to generate the serving certificate: \(String(cString: strerror(rc))); generating in process")
            return false
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return false }
        }
        let (certPath, keyPath) = paths(rootDir: rootDir)
        guard status == 0, AtomicFile.exists(certPath), AtomicFile.exists(keyPath) else {
            logger.warning("the serving certificate helper exited with status \(status); generating in process")
            return false
        }
        return true
    }
}
