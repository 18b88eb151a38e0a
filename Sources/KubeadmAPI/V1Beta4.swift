import KubeAPI
/// kubeadm's `kubeadm.k8s.io/v1beta4` configuration API, field for field, so a kubeadm config file is accepted
/// as it is. Fields Kubestrap does not act on yet are still accepted (and reported as such by the command).
public enum V1Beta4 {
    public static let apiVersion = "kubeadm.k8s.io/v1beta4"

    public struct InitConfiguration: Codable, Sendable, Equatable {
        public var apiVersion: String = V1Beta4.apiVersion
        public var kind: String = "InitConfiguration"
        public var bootstrapTokens: [BootstrapToken]?
        public var dryRun: Bool?
        public var nodeRegistration: NodeRegistrationOptions?
        public var localAPIEndpoint: APIEndpoint?
        public var certificateKey: String?
        public var skipPhases: [String]?
        public var patches: Patches?
        public var timeouts: Timeouts?
        public init() {}
    }

    public struct ClusterConfiguration: Codable, Sendable, Equatable {
        public var apiVersion: String = V1Beta4.apiVersion
        public var kind: String = "ClusterConfiguration"
        public var etcd: Etcd?
        public var networking: Networking?
        public var kubernetesVersion: String?
        public var controlPlaneEndpoint: String?
        public var apiServer: APIServer?
        public var controllerManager: ControlPlaneComponent?
        public var scheduler: ControlPlaneComponent?
        public var dns: DNS?
        public var proxy: Proxy?
        public var certificatesDir: String?
        public var imageRepository: String?
        public var featureGates: [String: Bool]?
        public var clusterName: String?
        public var encryptionAlgorithm: String?
        public var certificateValidityPeriod: GoDuration?
        public var caCertificateValidityPeriod: GoDuration?
        public init() {}
    }

    public struct BootstrapToken: Codable, Sendable, Equatable {
        public var token: String?
        public var description: String?
        public var ttl: GoDuration?
        public var expires: String?
        public var usages: [String]?
        public var groups: [String]?
    }

    public struct NodeRegistrationOptions: Codable, Sendable, Equatable {
        public var name: String?
        public var criSocket: String?
        public var taints: [Taint]?
        public var kubeletExtraArgs: [Arg]?
        public var ignorePreflightErrors: [String]?
        public var imagePullPolicy: String?
        public var imagePullSerial: Bool?
        public init() {}
    }

    public struct Taint: Codable, Sendable, Equatable {
        public var key: String
        public var value: String?
        public var effect: String
        public var timeAdded: String?
    }

    /// v1beta4's list form of extra arguments: duplicates allowed, order kept.
    public struct Arg: Codable, Sendable, Equatable {
        public var name: String
        public var value: String
        public init(name: String, value: String) { self.name = name; self.value = value }
    }

    public struct EnvVar: Codable, Sendable, Equatable {
        public var name: String
        public var value: String?
    }

    public struct APIEndpoint: Codable, Sendable, Equatable {
        public var advertiseAddress: String?
        public var bindPort: Int?
        public init(advertiseAddress: String? = nil, bindPort: Int? = nil) {
            self.advertiseAddress = advertiseAddress
            self.bindPort = bindPort
        }
    }

    public struct Patches: Codable, Sendable, Equatable {
        public var directory: String?
    }

    public struct Timeouts: Codable, Sendable, Equatable {
        public var controlPlaneComponentHealthCheck: GoDuration?
        public var kubeletHealthCheck: GoDuration?
        public var kubernetesAPICall: GoDuration?
        public var etcdAPICall: GoDuration?
        public var tlsBootstrap: GoDuration?
        public var discovery: GoDuration?
        public var upgradeManifests: GoDuration?
    }

    public struct Etcd: Codable, Sendable, Equatable {
        public var local: LocalEtcd?
        public var external: ExternalEtcd?
    }

    public struct LocalEtcd: Codable, Sendable, Equatable {
        public var imageRepository: String?
        public var imageTag: String?
        public var dataDir: String?
        public var extraArgs: [Arg]?
        public var extraEnvs: [EnvVar]?
        public var serverCertSANs: [String]?
        public var peerCertSANs: [String]?
    }

    public struct ExternalEtcd: Codable, Sendable, Equatable {
        public var endpoints: [String]
        public var caFile: String?
        public var certFile: String?
        public var keyFile: String?
    }

    public struct Networking: Codable, Sendable, Equatable {
        public var serviceSubnet: String?
        public var podSubnet: String?
        public var dnsDomain: String?
    }

    public struct HostPathMount: Codable, Sendable, Equatable {
        public var name: String
        public var hostPath: String
        public var mountPath: String
        public var readOnly: Bool?
        public var pathType: String?
    }

    public struct APIServer: Codable, Sendable, Equatable {
        public var extraArgs: [Arg]?
        public var extraVolumes: [HostPathMount]?
        public var extraEnvs: [EnvVar]?
        public var certSANs: [String]?
        public init() {}
    }

    public struct ControlPlaneComponent: Codable, Sendable, Equatable {
        public var extraArgs: [Arg]?
        public var extraVolumes: [HostPathMount]?
        public var extraEnvs: [EnvVar]?
        public init() {}
    }

    public struct DNS: Codable, Sendable, Equatable {
        public var imageRepository: String?
        public var imageTag: String?
        public var disabled: Bool?
        public init() {}
    }

    public struct Proxy: Codable, Sendable, Equatable {
        public var disabled: Bool?
        public init() {}
    }
}
