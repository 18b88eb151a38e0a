import Testing
import Foundation
import KubeConfig
import PKI
@testable import BootstrapPhases

@Suite struct KubeConfigPhaseTests {
    func prepare(_ sandbox: borrowing Sandbox, endpoint: [String] = []) async -> (code: Int32, out: String, err: String) {
        let common = ["--cert-dir", sandbox.pki, "--apiserver-advertise-address", "10.0.0.5", "--node-name", "n1"] + endpoint
        let certs = await bootstrap(["init", "phase", "certs", "all"] + common)
        guard certs.code == 0 else { return certs }
        return await bootstrap(["init", "phase", "kubeconfig", "all", "--kubeconfig-dir", sandbox.root] + common)
    }

    @Test func writesEveryFileWithTheRightIdentityAndServer() async throws {
        let sandbox = try Sandbox()
        let result = await prepare(sandbox, endpoint: ["--control-plane-endpoint", "api.example.com"])
        #expect(result.code == 0, "\(result.err)")
        let ca = try loadCert("\(sandbox.pki)/ca.crt")
        let expected: [(String, String, [String], String)] = [
            ("admin.conf", "kubernetes-admin", ["kubeadm:cluster-admins"], "https://api.example.com:6443"),
            ("super-admin.conf", "kubernetes-super-admin", ["system:masters"], "https://api.example.com:6443"),
            ("kubelet.conf", "system:node:n1", ["system:nodes"], "https://api.example.com:6443"),
            ("controller-manager.conf", "system:kube-controller-manager", [], "https://10.0.0.5:6443"),
            ("scheduler.conf", "system:kube-scheduler", [], "https://10.0.0.5:6443"),
        ]
        for (file, cn, orgs, server) in expected {
            #expect(sandbox.mode(file) == 0o600, "\(file)")
            let config = try #require(try KubeConfig.load("\(sandbox.root)/\(file)"))
            #expect(config.currentCluster?.server == server, "\(file)")
            #expect(config.currentContext == "\(cn)@kubernetes")
            let clientPEM = try #require(KubeConfig.decodeData(config.currentUser?.clientCertificateData))
            let client = try PKICertificate(pem: clientPEM)
            #expect(client.commonName == cn)
            #expect(client.organizations == orgs)
            #expect(client.isSigned(by: ca))
            let key = try PrivateKey(pem: try #require(KubeConfig.decodeData(config.currentUser?.clientKeyData)))
            #expect(client.matches(key))
            #expect(KubeConfig.decodeData(config.currentCluster?.certificateAuthorityData).flatMap { try? PKICertificate(pem: $0) } == ca)
        }
        #expect(result.out.contains("[kubeconfig] Writing \"super-admin.conf\" kubeconfig file"))
    }

    @Test func existingFilesAreReusedAndWrongOnesRefused() async throws {
        let sandbox = try Sandbox()
        #expect(await prepare(sandbox).code == 0)
        let before = sandbox.contents("admin.conf")
        let again = await bootstrap(["init", "phase", "kubeconfig", "admin", "--kubeconfig-dir", sandbox.root, "--cert-dir", sandbox.pki,
                                     "--apiserver-advertise-address", "10.0.0.5", "--node-name", "n1"])
        #expect(again.code == 0)
        #expect(again.out.contains("[kubeconfig] Using existing kubeconfig file: \"\(sandbox.root)/admin.conf\""))
        #expect(sandbox.contents("admin.conf") == before)

        let moved = await bootstrap(["init", "phase", "kubeconfig", "admin", "--kubeconfig-dir", sandbox.root, "--cert-dir", sandbox.pki,
                                     "--apiserver-advertise-address", "10.0.0.6", "--node-name", "n1"])
        #expect(moved.code == 1)
        #expect(moved.err.contains("has got the wrong API Server URL"))

        let renamed = await bootstrap(["init", "phase", "kubeconfig", "kubelet", "--kubeconfig-dir", sandbox.root, "--cert-dir", sandbox.pki,
                                       "--apiserver-advertise-address", "10.0.0.5", "--node-name", "n2"])
        #expect(renamed.code == 1)
        #expect(renamed.err.contains("authenticates as \"system:node:n1\" instead of \"system:node:n2\""))
    }
}

@Suite struct CertsCommandTests {
    func prepared() async throws -> Sandbox {
        let sandbox = try Sandbox()
        let common = ["--cert-dir", sandbox.pki, "--apiserver-advertise-address", "10.0.0.5", "--node-name", "n1"]
        let certs = await bootstrap(["init", "phase", "certs", "all", "--apiserver-cert-extra-sans=api.example.com"] + common)
        #expect(certs.code == 0, "\(certs.err)")
        let kubeconfigs = await bootstrap(["init", "phase", "kubeconfig", "all", "--kubeconfig-dir", sandbox.root] + common)
        #expect(kubeconfigs.code == 0, "\(kubeconfigs.err)")
        return sandbox
    }

    @Test func checkExpirationPrintsBothTables() async throws {
        let sandbox = try await prepared()
        let result = await bootstrap(["certs", "check-expiration", "--cert-dir", sandbox.pki, "--kubeconfig-dir", sandbox.root])
        #expect(result.code == 0, "\(result.err)")
        let lines = result.out.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("CERTIFICATE                EXPIRES                  RESIDUAL TIME   CERTIFICATE AUTHORITY   EXTERNALLY MANAGED") })
        for name in ["admin.conf", "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "controller-manager.conf",
                     "etcd-healthcheck-client", "etcd-peer", "etcd-server", "front-proxy-client", "scheduler.conf", "super-admin.conf"] {
            #expect(lines.contains { $0.hasPrefix(name + " ") && ($0.contains(" 364d ") || $0.contains(" 365d ")) }, "\(name) in:\n\(result.out)")
        }
        #expect(lines.contains { $0.hasPrefix("CERTIFICATE AUTHORITY   EXPIRES") })
        #expect(lines.contains { $0.hasPrefix("etcd-ca ") && $0.contains(" 9y ") || $0.hasPrefix("etcd-ca ") && $0.contains(" 10y ") })
    }

    @Test func checkExpirationJSONAndYAML() async throws {
        let sandbox = try await prepared()
        try FileManager.default.removeItem(atPath: "\(sandbox.pki)/etcd/peer.crt")
        let json = await bootstrap(["certs", "check-expiration", "--cert-dir", sandbox.pki, "--kubeconfig-dir", sandbox.root, "-o", "json"])
        #expect(json.code == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "CertificateExpirationInfo")
        let certs = try #require(object["certificates"] as? [[String: Any]])
        #expect(certs.count == 12)
        #expect(certs.first { $0["name"] as? String == "etcd-peer" }?["missing"] as? Bool == true)
        #expect((certs.first { $0["name"] as? String == "apiserver" }?["residualTime"] as? Int64 ?? 0) > 0)
        let yaml = await bootstrap(["certs", "check-expiration", "--cert-dir", sandbox.pki, "--kubeconfig-dir", sandbox.root, "-o", "yaml"])
        #expect(yaml.out.contains("kind: CertificateExpirationInfo"))
        let bad = await bootstrap(["certs", "check-expiration", "--cert-dir", sandbox.pki, "-o", "xml"])
        #expect(bad.code == 1)
    }

    @Test func renewAllReissuesLeavesKeepsSubjectsAndSANsAndNeverTouchesCAs() async throws {
        let sandbox = try await prepared()
        let caBefore = sandbox.contents("pki/ca.crt")
        let apiBefore = try loadCert("\(sandbox.pki)/apiserver.crt")
        let result = await bootstrap(["certs", "renew", "all", "--cert-dir", sandbox.pki, "--kubeconfig-dir", sandbox.root])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("certificate for serving the Kubernetes API renewed"))
        #expect(result.out.contains("certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself renewed"))
        #expect(sandbox.contents("pki/ca.crt") == caBefore)
        let apiAfter = try loadCert("\(sandbox.pki)/apiserver.crt")
        #expect(apiAfter != apiBefore)
        #expect(apiAfter.altNames == apiBefore.altNames)
        #expect(apiAfter.commonName == apiBefore.commonName)
        #expect(apiAfter.isSigned(by: try loadCert("\(sandbox.pki)/ca.crt")))
        let key = try PrivateKey(pem: try String(contentsOfFile: "\(sandbox.pki)/apiserver.key", encoding: .utf8))
        #expect(apiAfter.matches(key))
        // The renewed kubeconfig still works against the same CA and the same user.
        let admin = try #require(try KubeConfig.load("\(sandbox.root)/admin.conf"))
        let client = try PKICertificate(pem: try #require(KubeConfig.decodeData(admin.currentUser?.clientCertificateData)))
        #expect(client.commonName == "kubernetes-admin")
        #expect(sandbox.mode("admin.conf") == 0o600)
        #expect(sandbox.mode("pki/apiserver.key") == 0o600)
    }

    @Test func renewNamesRestartsForManifestsThatExist() async throws {
        let sandbox = try await prepared()
        try FileManager.default.createDirectory(atPath: "\(sandbox.root)/manifests", withIntermediateDirectories: true)
        try sandbox.write("manifests/kube-apiserver.yaml", "kind: Pod\n")
        let result = await bootstrap(["certs", "renew", "apiserver", "--cert-dir", sandbox.pki, "--kubeconfig-dir", sandbox.root])
        #expect(result.code == 0)
        #expect(result.out.contains("  - kube-apiserver: mv \(sandbox.root)/manifests/kube-apiserver.yaml"))
        let unknown = await bootstrap(["certs", "renew", "ca", "--cert-dir", sandbox.pki, "--kubeconfig-dir", sandbox.root])
        #expect(unknown.code == 1)
        #expect(unknown.err.contains("unknown certificate \"ca\""))
    }
}

@Suite struct ConfigCommandTests {
    @Test func initDefaultsAreAcceptedBackByConfig() async throws {
        let sandbox = try Sandbox()
        let printed = await bootstrap(["config", "print", "init-defaults"])
        #expect(printed.code == 0)
        #expect(printed.out.contains("apiVersion: kubeadm.k8s.io/v1beta4"))
        #expect(printed.out.contains("kind: InitConfiguration"))
        #expect(printed.out.contains("\n---\n"))
        #expect(printed.out.contains("certificateValidityPeriod: 8760h0m0s"))
        #expect(printed.out.contains("advertiseAddress: 10.0.0.5"))
        let edited = printed.out.replacingOccurrences(of: "certificatesDir: /etc/kubernetes/pki", with: "certificatesDir: \(sandbox.pki)")
            .replacingOccurrences(of: "encryptionAlgorithm: RSA-2048", with: "encryptionAlgorithm: ECDSA-P256")
        try sandbox.write("defaults.yaml", edited)
        let result = await bootstrap(["init", "phase", "certs", "all", "--config", "\(sandbox.root)/defaults.yaml"])
        #expect(result.code == 0, "\(result.err)")
        #expect(sandbox.files().filter { $0.hasPrefix("pki/") } == expectedPKIFiles)
    }
}
