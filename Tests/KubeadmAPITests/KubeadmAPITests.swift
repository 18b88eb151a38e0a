import Testing
@testable import KubeadmAPI
import PKI

let testHost = HostFacts(hostname: "Node-1", defaultAddress: IPAddress("192.0.2.10"))

@Suite struct GoDurationTests {
    @Test(arguments: [("8760h0m0s", "8760h0m0s"), ("24h", "24h0m0s"), ("4m", "4m0s"), ("1m30s", "1m30s"),
                      ("300ms", "300ms"), ("1.5h", "1h30m0s"), ("0", "0s"), ("2.5s", "2.5s")])
    func parsesAndFormatsLikeGo(input: String, formatted: String) throws {
        let d = try #require(GoDuration(input))
        #expect(d.description == formatted)
    }

    @Test func rejectsGarbage() {
        #expect(GoDuration("10 years") == nil)
        #expect(GoDuration("h") == nil)
        #expect(GoDuration("") == nil)
    }
}

@Suite struct CIDRTests {
    @Test func firstServiceIP() throws {
        #expect(CIDR("10.96.0.0/12")?.address(at: 1)?.description == "10.96.0.1")
        #expect(CIDR("10.96.5.7/12")?.network.description == "10.96.0.0")
        #expect(CIDR("fd00:10:96::/112")?.address(at: 1)?.description == "fd00:10:96::1")
        #expect(CIDR("10.96.0.0/33") == nil)
        #expect(CIDR("banana") == nil)
    }
}

@Suite struct InitSettingsTests {
    @Test func defaultsComeFromTheHostAndKubeadm() throws {
        let s = try InitSettings.resolve(file: nil, flags: FlagOverrides(), host: testHost)
        #expect(s.nodeName == "node-1")
        #expect(s.advertiseAddress.description == "192.0.2.10")
        #expect(s.bindPort == 6443)
        #expect(s.certificatesDir == "/etc/kubernetes/pki")
        #expect(s.encryptionAlgorithm == .rsa2048)
        #expect(s.certificateValidity == .hours(8760))
        #expect(s.caCertificateValidity == .hours(87600))
        #expect(s.controlPlaneURL == "https://192.0.2.10:6443")
        let sans = s.apiServerAltNames()
        #expect(sans.dnsNames == ["kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", "node-1"])
        #expect(sans.ipAddresses.map(\.description) == ["10.96.0.1", "192.0.2.10"])
    }

    @Test func configFileValuesAndFlagOverrides() throws {
        let file = try ConfigFile.parse("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: InitConfiguration
            localAPIEndpoint:
              advertiseAddress: 10.0.0.5
              bindPort: 7443
            nodeRegistration:
              name: cfg-node
            ---
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            controlPlaneEndpoint: api.example.com:8443
            encryptionAlgorithm: ECDSA-P256
            certificateValidityPeriod: 48h
            apiServer:
              certSANs: [extra.example.com, 10.0.0.9]
            networking:
              serviceSubnet: 10.100.0.0/16
              dnsDomain: corp.local
            """, fileName: "c.yaml")
        var flags = FlagOverrides()
        flags.nodeName = "flag-node"
        flags.certSANs = ["flag.example.com"]
        let s = try InitSettings.resolve(file: file, flags: flags, host: testHost)
        #expect(s.nodeName == "flag-node")
        #expect(s.advertiseAddress.description == "10.0.0.5")
        #expect(s.localAPIServerURL == "https://10.0.0.5:7443")
        #expect(s.controlPlaneURL == "https://api.example.com:8443")
        #expect(s.encryptionAlgorithm == .ecdsaP256)
        #expect(s.certificateValidity == .hours(48))
        let sans = s.apiServerAltNames()
        #expect(sans.dnsNames.contains("api.example.com"))
        #expect(sans.dnsNames.contains("extra.example.com"))
        #expect(sans.dnsNames.contains("flag.example.com"))
        #expect(sans.dnsNames.contains("kubernetes.default.svc.corp.local"))
        #expect(sans.ipAddresses.map(\.description) == ["10.100.0.1", "10.0.0.5", "10.0.0.9"])
    }

    @Test func everyProblemIsReportedWithItsFlagOrField() throws {
        var flags = FlagOverrides()
        flags.advertiseAddress = "10.0.0.500"
        flags.serviceSubnet = "10.96.0.0/40"
        flags.certSANs = ["bad_name"]
        let file = try ConfigFile.parse("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: ClusterConfiguration
            encryptionAlgorithm: DSA-1024
            certificateValidityPeriod: 100000h
            """, fileName: "c.yaml")
        let error = #expect(throws: ConfigError.self) {
            try InitSettings.resolve(file: file, flags: flags, host: testHost)
        }
        let message = error?.message ?? ""
        #expect(message.contains("--apiserver-advertise-address: Invalid value: \"10.0.0.500\""))
        #expect(message.contains("--service-cidr: Invalid value: \"10.96.0.0/40\""))
        #expect(message.contains("--apiserver-cert-extra-sans: Invalid value: \"bad_name\""))
        #expect(message.contains("encryptionAlgorithm: Invalid value: \"DSA-1024\""))
        #expect(message.contains("certificateValidityPeriod: Invalid value: \"100000h0m0s\""))
    }

    @Test func configFileRejectsUnknownFieldsOldVersionsAndUnknownKinds() {
        let unknown = #expect(throws: YAMLDecodeErrorBox.self) {
            do { _ = try ConfigFile.parse("apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nnetworking:\n  podSubnet: 10.244.0.0/16\n  serviceSubnett: x\n", fileName: "c.yaml") }
            catch { throw YAMLDecodeErrorBox(description: "\(error)") }
        }
        #expect(unknown?.description == "c.yaml:5:3: unknown field \"networking.serviceSubnett\"")
        #expect(throws: ConfigError.self) {
            try ConfigFile.parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\n", fileName: "c.yaml")
        }
        #expect(throws: ConfigError.self) {
            try ConfigFile.parse("apiVersion: v1\nkind: Pod\n", fileName: "c.yaml")
        }
        let ignored = try? ConfigFile.parse("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n", fileName: "c.yaml")
        #expect(ignored?.ignoredKinds == ["KubeletConfiguration"])
    }
}

struct YAMLDecodeErrorBox: Error { let description: String }
