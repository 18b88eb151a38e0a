import Foundation
import KubeConfig
import PKI

/// `bootstrap certs renew <name>|all`: re-issues leaf certificates (never CAs) with the same subject and SANs and a
/// fresh key of the same algorithm, then says which components must restart to use them.
enum Renew {
    static var names: [String] { (KubeadmCertList.leaves.map(\.name) + KubeConfigList.all.map(\.fileName)).sorted() }

    static func run(name: String, certificatesDir: String, kubeconfigDir: String, validity: TimeInterval,
                    now: Date, reporter: Reporter) throws {
        let inventory = CertificateInventory(certificatesDir: certificatesDir, kubeconfigDir: kubeconfigDir)
        let entries = try inventory.entries()
        let selected: [CertificateInventory.Entry]
        if name == "all" {
            selected = entries
        } else if let entry = entries.first(where: { $0.name == name }) {
            selected = [entry]
        } else {
            throw CommandError("unknown certificate \"\(name)\"; expected one of: all, \(names.joined(separator: ", "))")
        }
        var authorities: [String: CertificateAuthority?] = [:]   // nil value: external CA (no key)
        func authority(_ spec: KubeadmCert) throws -> CertificateAuthority? {
            if let known = authorities[spec.name] { return known }
            let paths = CertificatePaths(directory: certificatesDir, baseName: spec.baseName)
            guard let cert = try CertificateStore.loadCertificate(paths.certificate) else {
                throw CommandError("the \(spec.name) certificate authority \(paths.certificate) is missing, so its certificates cannot be renewed")
            }
            let ca = try CertificateStore.loadKey(paths.key).map { CertificateAuthority(certificate: cert, key: $0) }
            authorities[spec.name] = ca
            return ca
        }
        var consumers: [String] = []
        var renewedAny = false
        for entry in selected {
            guard let existing = entry.certificate else {
                if name == "all" {
                    reporter.say("MISSING! \(entry.renewalMessage) (\(entry.location)) does not exist; skipped")
                    continue
                }
                throw CommandError("\(entry.location) does not exist; create it with 'bootstrap init phase \(entry.name.hasSuffix(".conf") ? "kubeconfig" : "certs") \(entry.name.replacingOccurrences(of: ".conf", with: ""))'")
            }
            guard let spec = KubeadmCertList.named(entry.caName) else { continue }
            guard let ca = try authority(spec) else {
                reporter.say("Detected external \(spec.name), certificate \(entry.name) can't be renewed")
                continue
            }
            let request = CertificateRequest(commonName: existing.commonName, organizations: existing.organizations,
                                             altNames: existing.altNames, usages: existing.extendedUsages)
            if entry.name.hasSuffix(".conf") {
                try renewKubeConfig(at: entry.location, request: request, ca: ca, validity: validity, now: now)
            } else {
                let paths = CertificatePaths(directory: certificatesDir,
                                             baseName: KubeadmCertList.named(entry.name)?.baseName ?? entry.name)
                let algorithm = (try CertificateStore.loadKey(paths.key))?.algorithm ?? .rsa2048
                let key = try PrivateKey.generate(algorithm)
                let cert = try CertificateIssuer.issue(request, for: key, by: ca, validity: validity, now: now)
                try CertificateStore.write(certificate: cert, key: key, to: paths)
            }
            reporter.say("\(entry.renewalMessage) renewed")
            renewedAny = true
            if let consumer = entry.consumer, !consumers.contains(consumer) { consumers.append(consumer) }
        }
        guard renewedAny else { return }
        reporter.say("")
        let manifestsDir = "\(kubeconfigDir)/manifests"
        var steps: [String] = []
        for consumer in consumers {
            if consumer == "kubelet" {
                steps.append("  - kubelet: systemctl restart kubelet (or, without systemd, restart the kubelet daemon)")
                continue
            }
            let manifest = "\(manifestsDir)/\(consumer).yaml"
            guard FileManager.default.fileExists(atPath: manifest) else { continue }
            steps.append("  - \(consumer): mv \(manifest) /tmp/ && mv /tmp/\(consumer).yaml \(manifestsDir)/   (the kubelet stops the static pod when the manifest goes and starts it with the new certificates when it comes back)")
        }
        if steps.isEmpty {
            reporter.say("Done renewing certificates. Nothing running on this node from \(manifestsDir) uses them; clients of the renewed kubeconfig files pick them up on their next connection.")
        } else {
            reporter.say("Done renewing certificates. Restart what uses them so that it loads the new certificates:")
            for step in steps { reporter.say(step) }
        }
    }

    static func renewKubeConfig(at path: String, request: CertificateRequest, ca: CertificateAuthority,
                                validity: TimeInterval, now: Date) throws {
        guard var config = try KubeConfig.load(path),
              let contextName = config.contexts.first(where: { $0.name == config.currentContext })?.context.user,
              let index = config.users.firstIndex(where: { $0.name == contextName }) else {
            throw CommandError("\(path) has no current user to renew")
        }
        let existingKey = KubeConfig.decodeData(config.users[index].user.clientKeyData).flatMap { try? PrivateKey(pem: $0) }
        let key = try PrivateKey.generate(existingKey?.algorithm ?? .rsa2048)
        let cert = try CertificateIssuer.issue(request, for: key, by: ca, validity: validity, now: now)
        config.users[index].user.clientCertificateData = Data(try cert.pem().utf8).base64EncodedString()
        config.users[index].user.clientKeyData = Data(try key.pem().utf8).base64EncodedString()
        try config.write(to: path)
    }
}
