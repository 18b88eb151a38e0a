import Foundation
import KubeAPI
import PKI

/// Command-line values that override the config file, named after the kubeadm flags they come from.
public struct FlagOverrides: Sendable, Equatable {
    public var certificatesDir: String?
    public var advertiseAddress: String?
    public var bindPort: Int?
    public var certSANs: [String] = []
    public var controlPlaneEndpoint: String?
    public var nodeName: String?
    public var serviceSubnet: String?
    public var podSubnet: String?
    public var dnsDomain: String?
    public var kubernetesVersion: String?

    public init() {}
}

/// The configuration after merging the config file, flag overrides and host defaults, validated and typed —
/// what kubeadm calls the internal InitConfiguration. Phases read only this.
public struct InitSettings: Sendable {
    public var nodeName: String
    public var advertiseAddress: IPAddress
    public var bindPort: Int
    public var controlPlaneEndpoint: String?
    public var certSANs: [String]
    public var serviceSubnets: [CIDR]
    public var dnsDomain: String
    public var certificatesDir: String
    public var clusterName: String
    public var encryptionAlgorithm: EncryptionAlgorithm
    public var certificateValidity: GoDuration
    public var caCertificateValidity: GoDuration
    public var etcdServerCertSANs: [String]
    public var etcdPeerCertSANs: [String]
    public var kubernetesVersion: String
    /// The effective v1beta4 documents (defaults filled in), for printing and for the kubeadm-config ConfigMap.
    public var initConfiguration: V1Beta4.InitConfiguration
    public var clusterConfiguration: V1Beta4.ClusterConfiguration

    /// Merges and validates. Every problem is reported, each naming the flag or the config field it came from.
    public static func resolve(file: ConfigFile?, flags: FlagOverrides, host: HostFacts) throws(ConfigError) -> InitSettings {
        var initCfg = file?.initConfiguration ?? V1Beta4.InitConfiguration()
        var cluster = file?.clusterConfiguration ?? V1Beta4.ClusterConfiguration()
        var problems: [String] = []

        func name(_ field: String, flag: String, flagSet: Bool) -> String { flagSet ? "--\(flag)" : field }

        // Node name.
        let nodeNameField = name("nodeRegistration.name", flag: "node-name", flagSet: flags.nodeName != nil)
        let nodeName = flags.nodeName ?? initCfg.nodeRegistration?.name ?? host.hostname.lowercased()
        if !DNSName.isValidSubdomain(nodeName) {
            problems.append("\(nodeNameField): Invalid value: \"\(nodeName)\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")
        }

        // API endpoint.
        let addressField = name("localAPIEndpoint.advertiseAddress", flag: "apiserver-advertise-address", flagSet: flags.advertiseAddress != nil)
        var advertiseAddress = IPAddress("127.0.0.1")!
        let addressText = flags.advertiseAddress ?? initCfg.localAPIEndpoint?.advertiseAddress
        if let addressText, !addressText.isEmpty {
            if let ip = IPAddress(addressText) {
                if ip.bytes.allSatisfy({ $0 == 0 }) {
                    if let detected = host.defaultAddress { advertiseAddress = detected }
                } else {
                    advertiseAddress = ip
                }
            } else {
                problems.append("\(addressField): Invalid value: \"\(addressText)\": must be a valid IPv4 or IPv6 address")
            }
        } else if let detected = host.defaultAddress {
            advertiseAddress = detected
        } else {
            problems.append("\(addressField): no default network interface with an IP address was found; set --apiserver-advertise-address")
        }
        let bindPort = flags.bindPort ?? initCfg.localAPIEndpoint?.bindPort ?? KubeadmDefaults.bindPort
        if !(1...65535).contains(bindPort) {
            problems.append("\(name("localAPIEndpoint.bindPort", flag: "apiserver-bind-port", flagSet: flags.bindPort != nil)): Invalid value: \(bindPort): must be between 1 and 65535, inclusive")
        }

        // Control-plane endpoint.
        let endpoint = flags.controlPlaneEndpoint ?? cluster.controlPlaneEndpoint
        if let endpoint, !endpoint.isEmpty {
            if let problem = Endpoint.validate(endpoint) {
                problems.append("\(name("controlPlaneEndpoint", flag: "control-plane-endpoint", flagSet: flags.controlPlaneEndpoint != nil)): Invalid value: \"\(endpoint)\": \(problem)")
            }
        }

        // SANs.
        let sanField = flags.certSANs.isEmpty ? "apiServer.certSANs" : "--apiserver-cert-extra-sans"
        let certSANs = (cluster.apiServer?.certSANs ?? []) + flags.certSANs
        for (field, sans) in [(sanField, certSANs),
                              ("etcd.local.serverCertSANs", cluster.etcd?.local?.serverCertSANs ?? []),
                              ("etcd.local.peerCertSANs", cluster.etcd?.local?.peerCertSANs ?? [])] {
            for san in sans where IPAddress(san) == nil && !DNSName.isValidSubdomain(san, allowWildcard: true) {
                problems.append("\(field): Invalid value: \"\(san)\": must be an IP address or a valid DNS name (a lowercase RFC 1123 subdomain, optionally starting with *.)")
            }
        }

        // Networking.
        let subnetField = name("networking.serviceSubnet", flag: "service-cidr", flagSet: flags.serviceSubnet != nil)
        let subnetText = flags.serviceSubnet ?? cluster.networking?.serviceSubnet ?? KubeadmDefaults.serviceSubnet
        var subnets: [CIDR] = []
        for part in subnetText.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            if let cidr = CIDR(text), cidr.hostBits >= 2 {
                subnets.append(cidr)
            } else {
                problems.append("\(subnetField): Invalid value: \"\(text)\": must be a valid CIDR with room for at least 2 addresses, such as 10.96.0.0/12")
            }
        }
        // The pod network (kubeadm's --pod-network-cidr): optional; when set, kube-controller-manager allocates node CIDRs from it.
        let podSubnetText = flags.podSubnet ?? cluster.networking?.podSubnet
        for part in (podSubnetText ?? "").split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces)
            if CIDR(text) == nil {
                problems.append("\(name("networking.podSubnet", flag: "pod-network-cidr", flagSet: flags.podSubnet != nil)): Invalid value: \"\(text)\": must be a valid CIDR, such as 10.244.0.0/16")
            }
        }
        let dnsDomain = flags.dnsDomain ?? cluster.networking?.dnsDomain ?? KubeadmDefaults.dnsDomain
        if !DNSName.isValidSubdomain(dnsDomain) {
            problems.append("\(name("networking.dnsDomain", flag: "service-dns-domain", flagSet: flags.dnsDomain != nil)): Invalid value: \"\(dnsDomain)\": must be a valid DNS subdomain")
        }

        // Certificates.
        let certificatesDir = flags.certificatesDir ?? cluster.certificatesDir ?? KubeadmDefaults.certificatesDir
        if !certificatesDir.hasPrefix("/") && flags.certificatesDir == nil {
            problems.append("certificatesDir: Invalid value: \"\(certificatesDir)\": must be an absolute path")
        }
        let clusterName = cluster.clusterName ?? KubeadmDefaults.clusterName
        if clusterName.isEmpty { problems.append("clusterName: Required value") }
        var algorithm = EncryptionAlgorithm.default
        if let text = cluster.encryptionAlgorithm {
            do { algorithm = try EncryptionAlgorithm.parse(text) } catch {
                problems.append("encryptionAlgorithm: Invalid value: \"\(text)\": expected one of \(EncryptionAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        let validity = cluster.certificateValidityPeriod ?? KubeadmDefaults.certificateValidity
        let caValidity = cluster.caCertificateValidityPeriod ?? KubeadmDefaults.caCertificateValidity
        if validity.nanoseconds <= 0 { problems.append("certificateValidityPeriod: Invalid value: \"\(validity)\": must be positive") }
        if caValidity.nanoseconds <= 0 { problems.append("caCertificateValidityPeriod: Invalid value: \"\(caValidity)\": must be positive") }
        if validity > caValidity {
            problems.append("certificateValidityPeriod: Invalid value: \"\(validity)\": must not be longer than caCertificateValidityPeriod (\(caValidity))")
        }

        if !problems.isEmpty {
            throw ConfigError("invalid configuration:\n" + problems.map { "  - \($0)" }.joined(separator: "\n"))
        }

        // Record the effective values in the v1beta4 documents.
        let kubernetesVersion = flags.kubernetesVersion ?? cluster.kubernetesVersion ?? KubeadmDefaults.kubernetesVersion
        var registration = initCfg.nodeRegistration ?? V1Beta4.NodeRegistrationOptions()
        registration.name = nodeName
        initCfg.nodeRegistration = registration
        initCfg.localAPIEndpoint = V1Beta4.APIEndpoint(advertiseAddress: advertiseAddress.description, bindPort: bindPort)
        cluster.certificatesDir = certificatesDir
        cluster.clusterName = clusterName
        cluster.controlPlaneEndpoint = endpoint
        cluster.encryptionAlgorithm = algorithm.rawValue
        cluster.certificateValidityPeriod = validity
        cluster.caCertificateValidityPeriod = caValidity
        cluster.kubernetesVersion = kubernetesVersion
        var networking = cluster.networking ?? V1Beta4.Networking()
        networking.serviceSubnet = subnetText
        networking.dnsDomain = dnsDomain
        if let podSubnetText, !podSubnetText.isEmpty { networking.podSubnet = podSubnetText }
        cluster.networking = networking
        var apiServer = cluster.apiServer ?? V1Beta4.APIServer()
        if !certSANs.isEmpty { apiServer.certSANs = certSANs }
        cluster.apiServer = apiServer

        return InitSettings(
            nodeName: nodeName, advertiseAddress: advertiseAddress, bindPort: bindPort,
            controlPlaneEndpoint: endpoint?.isEmpty == true ? nil : endpoint, certSANs: certSANs,
            serviceSubnets: subnets, dnsDomain: dnsDomain, certificatesDir: certificatesDir, clusterName: clusterName,
            encryptionAlgorithm: algorithm, certificateValidity: validity, caCertificateValidity: caValidity,
            etcdServerCertSANs: cluster.etcd?.local?.serverCertSANs ?? [],
            etcdPeerCertSANs: cluster.etcd?.local?.peerCertSANs ?? [],
            kubernetesVersion: kubernetesVersion, initConfiguration: initCfg, clusterConfiguration: cluster)
    }

    /// `networking.podSubnet` (or --pod-network-cidr), nil when the cluster has none.
    public var podSubnet: String? {
        clusterConfiguration.networking?.podSubnet.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The URL clients outside the node use: the control-plane endpoint if set, else the advertise address.
    public var controlPlaneURL: String {
        if let endpoint = controlPlaneEndpoint {
            let parsed = Endpoint.split(endpoint)
            return "https://\(Endpoint.bracket(parsed.host)):\(parsed.port ?? bindPort)"
        }
        return localAPIServerURL
    }

    /// The URL of this node's own API server.
    public var localAPIServerURL: String {
        "https://\(Endpoint.bracket(advertiseAddress.description)):\(bindPort)"
    }

    /// SANs of the API server's serving certificate, as kubeadm computes them.
    public func apiServerAltNames() -> AltNames {
        var names = AltNames(dnsNames: [nodeName, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                                        "kubernetes.default.svc.\(dnsDomain)"])
        for subnet in serviceSubnets {
            if let ip = subnet.address(at: 1) { names.addIP(ip) }
        }
        names.addIP(advertiseAddress)
        if let endpoint = controlPlaneEndpoint {
            let host = Endpoint.split(endpoint).host
            if let ip = IPAddress(host) { names.addIP(ip) } else { names.addDNSName(host) }
        }
        for san in certSANs { try? names.add(userValue: san) }
        return names
    }

    /// SANs of the etcd server or peer certificate: node name, localhost, the advertise address, loopback.
    public func etcdAltNames(extra: [String]) -> AltNames {
        var names = AltNames(dnsNames: [nodeName, "localhost"])
        names.addIP(advertiseAddress)
        if let v4 = IPAddress("127.0.0.1") { names.addIP(v4) }
        if let v6 = IPAddress("::1") { names.addIP(v6) }
        for san in extra { try? names.add(userValue: san) }
        return names
    }
}

/// `host`, `host:port` or `[v6]:port`.
enum Endpoint {
    static func split(_ text: String) -> (host: String, port: Int?) {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            return (host, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if IPAddress(text) != nil { return (text, nil) }   // bare IPv6
        if let colon = text.lastIndex(of: ":") {
            return (String(text[..<colon]), Int(text[text.index(after: colon)...]))
        }
        return (text, nil)
    }

    static func validate(_ text: String) -> String? {
        let (host, port) = split(text)
        if text.contains(":"), IPAddress(text) == nil, port == nil || !(1...65535).contains(port ?? 0) {
            return "the port must be a number between 1 and 65535"
        }
        if IPAddress(host) == nil && !DNSName.isValidSubdomain(host) {
            return "must be an IP address or a DNS name, optionally followed by :port"
        }
        return nil
    }

    static func bracket(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}
