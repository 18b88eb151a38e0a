import Testing
import Foundation
import PKI
@testable import BootstrapPhases

@Suite struct CertsPhaseTests {
    func certsAll(_ sandbox: borrowing Sandbox, extra: [String] = []) async -> (code: Int32, out: String, err: String) {
        await bootstrap(["init", "phase", "certs", "all", "--cert-dir", sandbox.pki, "--apiserver-advertise-address", "10.0.0.5",
                         "--node-name", "n1", "--apiserver-cert-extra-sans=api.example.com,10.0.0.9"] + extra)
    }

    @Test func writesKubeadmsLayoutWithSubjectsSANsAndModes() async throws {
        let sandbox = try Sandbox()
        let result = await certsAll(sandbox, extra: ["--config", try ecdsaConfig(sandbox)])
        #expect(result.code == 0, "\(result.err)")
        #expect(sandbox.files().filter { $0.hasPrefix("pki/") } == expectedPKIFiles)
        for file in expectedPKIFiles {
            #expect(sandbox.mode(file) == (file.hasSuffix(".key") ? 0o600 : 0o644), "\(file)")
        }
        let ca = try loadCert("\(sandbox.pki)/ca.crt")
        let etcdCA = try loadCert("\(sandbox.pki)/etcd/ca.crt")
        let frontCA = try loadCert("\(sandbox.pki)/front-proxy-ca.crt")
        #expect(ca.commonName == "kubernetes" && ca.isCA)
        #expect(etcdCA.commonName == "etcd-ca" && frontCA.commonName == "front-proxy-ca")

        let expectations: [(String, PKICertificate, String, [String], [ExtendedUsage])] = [
            ("apiserver", ca, "kube-apiserver", [], [.serverAuth]),
            ("apiserver-kubelet-client", ca, "kube-apiserver-kubelet-client", ["system:masters"], [.clientAuth]),
            ("front-proxy-client", frontCA, "front-proxy-client", [], [.clientAuth]),
            ("etcd/server", etcdCA, "n1", [], [.serverAuth, .clientAuth]),
            ("etcd/peer", etcdCA, "n1", [], [.serverAuth, .clientAuth]),
            ("etcd/healthcheck-client", etcdCA, "kube-etcd-healthcheck-client", ["system:masters"], [.clientAuth]),
            ("apiserver-etcd-client", etcdCA, "kube-apiserver-etcd-client", ["system:masters"], [.clientAuth]),
        ]
        for (base, signer, cn, orgs, usages) in expectations {
            let cert = try loadCert("\(sandbox.pki)/\(base).crt")
            #expect(cert.commonName == cn, "\(base)")
            #expect(cert.organizations == orgs, "\(base)")
            #expect(cert.extendedUsages == usages, "\(base)")
            #expect(cert.isSigned(by: signer), "\(base)")
            #expect(!cert.isCA)
            let days = cert.notAfter.timeIntervalSince(cert.notBefore) / 86400
            #expect(days == 365, "\(base) validity \(days)")
        }
        #expect(ca.notAfter.timeIntervalSince(ca.notBefore) / 86400 == 3650)
        let api = try loadCert("\(sandbox.pki)/apiserver.crt")
        #expect(api.altNames.dnsNames == ["api.example.com", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                                          "kubernetes.default.svc.cluster.local", "n1"])
        #expect(api.altNames.ipAddresses.map(\.description) == ["10.96.0.1", "10.0.0.5", "10.0.0.9"])
        let etcd = try loadCert("\(sandbox.pki)/etcd/server.crt")
        #expect(etcd.altNames.dnsNames == ["localhost", "n1"])
        #expect(etcd.altNames.ipAddresses.map(\.description) == ["10.0.0.5", "127.0.0.1", "::1"])
        let key = try PrivateKey(pem: try String(contentsOfFile: "\(sandbox.pki)/apiserver.key", encoding: .utf8))
        #expect(key.algorithm == .ecdsaP256)
        #expect(result.out.contains("[certs] Generating \"etcd/ca\" certificate and key"))
        #expect(result.out.contains("[certs] apiserver serving cert is signed for DNS names [api.example.com kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local n1] and IPs [10.96.0.1 10.0.0.5 10.0.0.9]"))
    }

    func ecdsaConfig(_ sandbox: borrowing Sandbox) throws -> String {
        try sandbox.write("ecdsa.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nencryptionAlgorithm: ECDSA-P256\n")
        return "\(sandbox.root)/ecdsa.yaml"
    }

    @Test func secondRunReusesEverythingByteForByte() async throws {
        let sandbox = try Sandbox()
        #expect(await certsAll(sandbox, extra: ["--config", try ecdsaConfig(sandbox)]).code == 0)
        let before = expectedPKIFiles.map { sandbox.contents($0) }
        let again = await certsAll(sandbox, extra: ["--config", try ecdsaConfig(sandbox)])
        #expect(again.code == 0)
        #expect(expectedPKIFiles.map { sandbox.contents($0) } == before)
        #expect(again.out.contains("[certs] Using existing ca certificate authority"))
        #expect(again.out.contains("[certs] Using existing apiserver certificate and key on disk"))
        #expect(!again.out.contains("Generating"))
    }

    @Test func deletingOneLeafRegeneratesOnlyThatOne() async throws {
        let sandbox = try Sandbox()
        #expect(await certsAll(sandbox, extra: ["--config", try ecdsaConfig(sandbox)]).code == 0)
        let before = Dictionary(uniqueKeysWithValues: expectedPKIFiles.map { ($0, sandbox.contents($0)) })
        try FileManager.default.removeItem(atPath: "\(sandbox.pki)/front-proxy-client.crt")
        let result = await certsAll(sandbox, extra: ["--config", try ecdsaConfig(sandbox)])
        #expect(result.code == 0)
        let changed = expectedPKIFiles.filter { sandbox.contents($0) != before[$0] }
        #expect(changed == ["pki/front-proxy-client.crt", "pki/front-proxy-client.key"])
    }

    @Test func certificateMissingARequiredSANIsRefusedNamingTheSAN() async throws {
        let sandbox = try Sandbox()
        #expect(await certsAll(sandbox, extra: ["--config", try ecdsaConfig(sandbox)]).code == 0)
        let before = sandbox.contents("pki/apiserver.crt")
        let result = await bootstrap(["init", "phase", "certs", "apiserver", "--cert-dir", sandbox.pki,
                                      "--apiserver-advertise-address", "10.0.0.5", "--node-name", "n1",
                                      "--apiserver-cert-extra-sans=api.example.com,10.0.0.9,new.example.com"])
        #expect(result.code == 1)
        #expect(result.err.contains("\(sandbox.pki)/apiserver.crt"))
        #expect(result.err.contains("DNS:new.example.com"))
        #expect(sandbox.contents("pki/apiserver.crt") == before)
    }

    @Test func certificateFromAnotherCAOrWithAForeignKeyIsRefused() async throws {
        let sandbox = try Sandbox()
        #expect(await certsAll(sandbox).code == 0)
        // A leaf signed by the front-proxy CA put in place of apiserver.crt.
        try FileManager.default.removeItem(atPath: "\(sandbox.pki)/apiserver.crt")
        try FileManager.default.copyItem(atPath: "\(sandbox.pki)/front-proxy-client.crt", toPath: "\(sandbox.pki)/apiserver.crt")
        let wrongCA = await certsAll(sandbox)
        #expect(wrongCA.code == 1)
        #expect(wrongCA.err.contains("is not signed by the ca certificate authority"))

        let sandbox2 = try Sandbox()
        #expect(await certsAll(sandbox2).code == 0)
        try FileManager.default.removeItem(atPath: "\(sandbox2.pki)/apiserver.key")
        try FileManager.default.copyItem(atPath: "\(sandbox2.pki)/apiserver-kubelet-client.key", toPath: "\(sandbox2.pki)/apiserver.key")
        let wrongKey = await certsAll(sandbox2)
        #expect(wrongKey.code == 1)
        #expect(wrongKey.err.contains("\(sandbox2.pki)/apiserver.key does not match the certificate"))
    }

    @Test func externalCAModeRequiresLeavesToExist() async throws {
        let sandbox = try Sandbox()
        #expect(await certsAll(sandbox).code == 0)
        try FileManager.default.removeItem(atPath: "\(sandbox.pki)/ca.key")
        let reuse = await certsAll(sandbox)
        #expect(reuse.code == 0, "\(reuse.err)")
        #expect(reuse.out.contains("[certs] Using existing ca keyless certificate authority"))
        try FileManager.default.removeItem(atPath: "\(sandbox.pki)/apiserver.crt")
        let missing = await certsAll(sandbox)
        #expect(missing.code == 1)
        #expect(missing.err.contains("external CA mode"))
        #expect(missing.err.contains("\(sandbox.pki)/apiserver.crt"))
    }

    @Test func badInputFailsClearlyAndWritesNothing() async throws {
        let sandbox = try Sandbox()
        let badIP = await bootstrap(["init", "phase", "certs", "all", "--cert-dir", sandbox.pki, "--apiserver-advertise-address", "10.0.0.500"])
        #expect(badIP.code == 1)
        #expect(badIP.err.contains("--apiserver-advertise-address: Invalid value: \"10.0.0.500\""))

        try sandbox.write("bad.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\napiServer:\n  certSANz: [x]\n")
        let unknown = await bootstrap(["init", "phase", "certs", "all", "--cert-dir", sandbox.pki, "--config", "\(sandbox.root)/bad.yaml"])
        #expect(unknown.code == 1)
        #expect(unknown.err.contains("bad.yaml:4:3: unknown field \"apiServer.certSANz\""))
        #expect(!FileManager.default.fileExists(atPath: sandbox.pki))

        try sandbox.write("plainfile", "")
        let unwritable = await bootstrap(["init", "phase", "certs", "all", "--cert-dir", "\(sandbox.root)/plainfile/pki",
                                          "--apiserver-advertise-address", "10.0.0.5"])
        #expect(unwritable.code == 1)
        #expect(unwritable.err.contains("\(sandbox.root)/plainfile"))
        #expect(unwritable.err.contains("Not a directory"))
        // Nothing half-written anywhere: no temporary files left behind.
        #expect(sandbox.files().allSatisfy { !$0.contains(".tmp-") })
    }

    @Test func subPhaseNeedsItsCA() async throws {
        let sandbox = try Sandbox()
        let result = await bootstrap(["init", "phase", "certs", "apiserver", "--cert-dir", sandbox.pki, "--apiserver-advertise-address", "10.0.0.5"])
        #expect(result.code == 1)
        #expect(result.err.contains("error execution phase certs/apiserver"))
        #expect(result.err.contains("run 'bootstrap init phase certs ca' first"))
    }
}
