import Testing
import Foundation
@testable import PKI

@Suite struct KeyTests {
    @Test(arguments: EncryptionAlgorithm.allCases.filter { $0 != .rsa4096 && $0 != .rsa3072 })
    func keysRoundTripThroughPEMInKubeadmsFormats(algorithm: EncryptionAlgorithm) throws {
        let key = try PrivateKey.generate(algorithm)
        let pem = try key.pem()
        #expect(pem.hasPrefix(algorithm.isRSA ? "-----BEGIN RSA PRIVATE KEY-----" : "-----BEGIN EC PRIVATE KEY-----"))
        let parsed = try PrivateKey(pem: pem)
        #expect(parsed.algorithm == algorithm)
        #expect(parsed.publicKey == key.publicKey)
        #expect(try key.publicKeyPEM().hasPrefix("-----BEGIN PUBLIC KEY-----"))
    }

    @Test func garbageIsNotAKey() {
        #expect(throws: PKIError.self) { try PrivateKey(pem: "not a key") }
        #expect(throws: PKIError.self) { try PKICertificate(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") }
    }

    @Test func algorithmNamesAreKubeadms() throws {
        #expect(try EncryptionAlgorithm.parse("ECDSA-P384") == .ecdsaP384)
        let error = #expect(throws: PKIError.self) { try EncryptionAlgorithm.parse("RSA-1024") }
        #expect(error?.message.contains("RSA-2048") == true)
    }
}

@Suite struct IssuanceTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func authority(_ algorithm: EncryptionAlgorithm = .ecdsaP256, name: String = "kubernetes") throws -> CertificateAuthority {
        let key = try PrivateKey.generate(algorithm)
        let cert = try CertificateIssuer.selfSignedCA(commonName: name, key: key, validity: 10 * 365 * 86400, now: now)
        return CertificateAuthority(certificate: cert, key: key)
    }

    @Test func caIsSelfSignedWithCAConstraints() throws {
        let ca = try authority()
        #expect(ca.certificate.isCA)
        #expect(ca.certificate.commonName == "kubernetes")
        #expect(ca.certificate.isSigned(by: ca.certificate))
        #expect(ca.certificate.matches(ca.key))
        #expect(ca.certificate.notAfter.timeIntervalSince(now) == 10 * 365 * 86400)
    }

    @Test func leafCarriesSubjectSANsUsagesAndIsSignedByItsCA() throws {
        let ca = try authority()
        let key = try PrivateKey.generate(.ecdsaP256)
        var sans = AltNames(dnsNames: ["kubernetes", "n1"])
        try sans.add(userValue: "10.96.0.1")
        try sans.add(userValue: "::1")
        let request = CertificateRequest(commonName: "kube-apiserver", organizations: ["a", "b"], altNames: sans, usages: [.serverAuth, .clientAuth])
        let leaf = try CertificateIssuer.issue(request, for: key, by: ca, validity: 365 * 86400, now: now)
        #expect(leaf.commonName == "kube-apiserver")
        #expect(leaf.organizations == ["a", "b"])
        #expect(leaf.altNames == sans)
        #expect(leaf.extendedUsages == [.serverAuth, .clientAuth])
        #expect(!leaf.isCA)
        #expect(leaf.isSigned(by: ca.certificate))
        #expect(leaf.matches(key))
        #expect(!leaf.matches(ca.key))
        let other = try authority(name: "other")
        #expect(!leaf.isSigned(by: other.certificate))
        // PEM round trip keeps everything.
        #expect(try PKICertificate(pem: try leaf.pem()) == leaf)
    }

    @Test func leafValidityIsCappedByTheCA() throws {
        let key = try PrivateKey.generate(.ecdsaP256)
        let caCert = try CertificateIssuer.selfSignedCA(commonName: "short", key: key, validity: 3600, now: now)
        let ca = CertificateAuthority(certificate: caCert, key: key)
        let leaf = try CertificateIssuer.issue(CertificateRequest(commonName: "x", usages: [.clientAuth]),
                                               for: try PrivateKey.generate(.ecdsaP256), by: ca, validity: 86400, now: now)
        #expect(leaf.notAfter == caCert.notAfter)
    }

    @Test func rsaCAsSignECDSALeavesAndTheReverse() throws {
        let rsaCA = try authority(.rsa2048)
        let leaf = try CertificateIssuer.issue(CertificateRequest(commonName: "x", usages: [.clientAuth]),
                                               for: try PrivateKey.generate(.ecdsaP384), by: rsaCA, validity: 86400, now: now)
        #expect(leaf.isSigned(by: rsaCA.certificate))
    }
}

@Suite struct AltNameTests {
    @Test func ipAddressesParseAndPrint() {
        #expect(IPAddress("10.0.0.5")?.bytes == [10, 0, 0, 5])
        #expect(IPAddress("::1")?.description == "::1")
        #expect(IPAddress("::1")?.expandedDescription == "0:0:0:0:0:0:0:1")
        #expect(IPAddress("10.0.0.500") == nil)
        #expect(IPAddress("api.example.com") == nil)
    }

    @Test func dnsNamesFollowRFC1123() {
        #expect(DNSName.isValidSubdomain("kubernetes.default.svc.cluster.local"))
        #expect(DNSName.isValidSubdomain("*.example.com", allowWildcard: true))
        #expect(!DNSName.isValidSubdomain("*.example.com"))
        #expect(!DNSName.isValidSubdomain("Upper.example.com"))
        #expect(!DNSName.isValidSubdomain("bad_name"))
        #expect(!DNSName.isValidSubdomain("-lead.example.com"))
        #expect(!DNSName.isValidSubdomain(""))
    }

    @Test func sansAreDeduplicatedAndDNSSorted() throws {
        var names = AltNames(dnsNames: ["n1", "kubernetes"])
        try names.add(userValue: "kubernetes")
        try names.add(userValue: "192.0.2.9")
        try names.add(userValue: "10.0.0.1")
        try names.add(userValue: "192.0.2.9")
        #expect(names.dnsNames == ["kubernetes", "n1"])
        #expect(names.ipAddresses.map(\.description) == ["192.0.2.9", "10.0.0.1"])
        #expect(throws: PKIError.self) { try names.add(userValue: "bad name") }
    }
}
