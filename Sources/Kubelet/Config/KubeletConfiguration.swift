import KubeAPI

/// `kubelet.config.k8s.io/v1beta1` KubeletConfiguration. Every field kubeadm writes is known (an unknown field is
/// an error naming it); the ones this kubelet acts on are listed in `actedOn`, the others are accepted and logged
/// once at start as not acted on.
public struct KubeletConfiguration: Codable, Sendable, Equatable {
    public var apiVersion: String? = "kubelet.config.k8s.io/v1beta1"
    public var kind: String? = "KubeletConfiguration"
    public var staticPodPath: String?
    public var podLogsDir: String?
    public var fileCheckFrequency: GoDuration?
    public var httpCheckFrequency: GoDuration?
    public var syncFrequency: GoDuration?
    public var address: String?
    public var port: Int?
    public var readOnlyPort: Int?
    public var healthzBindAddress: String?
    public var healthzPort: Int?
    public var containerLogMaxSize: String?
    public var containerLogMaxFiles: Int?
    public var authentication: Authentication?
    public var authorization: Authorization?
    public var clusterDNS: [String]?
    public var clusterDomain: String?
    public var cgroupDriver: String?
    public var cgroupRoot: String?
    public var rotateCertificates: Bool?
    public var serverTLSBootstrap: Bool?
    public var tlsCertFile: String?
    public var tlsPrivateKeyFile: String?
    public var resolvConf: String?
    public var runtimeRequestTimeout: GoDuration?
    public var nodeStatusUpdateFrequency: GoDuration?
    public var nodeStatusReportFrequency: GoDuration?
    public var nodeLeaseDurationSeconds: Int?
    public var imageMinimumGCAge: GoDuration?
    public var imageMaximumGCAge: GoDuration?
    public var cpuManagerReconcilePeriod: GoDuration?
    public var evictionPressureTransitionPeriod: GoDuration?
    public var streamingConnectionIdleTimeout: GoDuration?
    public var volumeStatsAggPeriod: GoDuration?
    public var shutdownGracePeriod: GoDuration?
    public var shutdownGracePeriodCriticalPods: GoDuration?
    public var failSwapOn: Bool?
    public var memorySwap: [String: String]?
    public var maxPods: Int?
    public var featureGates: [String: Bool]?
    public var logging: Logging?
    public var enableServer: Bool?
    public var registerNode: Bool?
    public var containerRuntimeEndpoint: String?
    public var evictionHard: [String: String]?
    public var systemReserved: [String: String]?
    public var kubeReserved: [String: String]?
    public var kubeAPIQPS: Int?
    public var kubeAPIBurst: Int?

    public init() {}

    public struct Authentication: Codable, Sendable, Equatable {
        public var anonymous: Anonymous?
        public var webhook: Webhook?
        public var x509: X509?
        public struct Anonymous: Codable, Sendable, Equatable { public var enabled: Bool? }
        public struct Webhook: Codable, Sendable, Equatable { public var enabled: Bool?; public var cacheTTL: GoDuration? }
        public struct X509: Codable, Sendable, Equatable { public var clientCAFile: String? }
    }

    public struct Authorization: Codable, Sendable, Equatable {
        public var mode: String?
        public var webhook: Webhook?
        public struct Webhook: Codable, Sendable, Equatable {
            public var cacheAuthorizedTTL: GoDuration?
            public var cacheUnauthorizedTTL: GoDuration?
        }
    }

    public struct Logging: Codable, Sendable, Equatable {
        public var format: String?
        public var verbosity: Int?
        public var flushFrequency: GoDuration?
    }

    /// Fields this kubelet acts on; everything else set in a file is reported as accepted-but-unused.
    public static let actedOn: Set<String> = [
        "apiVersion", "kind", "staticPodPath", "podLogsDir", "fileCheckFrequency", "syncFrequency", "containerRuntimeEndpoint",
        "healthzBindAddress", "healthzPort", "containerLogMaxSize", "containerLogMaxFiles",
        "address", "port", "authentication", "authorization", "tlsCertFile", "tlsPrivateKeyFile", "enableServer",
        "registerNode", "nodeStatusUpdateFrequency", "nodeStatusReportFrequency", "nodeLeaseDurationSeconds",
        "kubeAPIQPS", "kubeAPIBurst",
    ]
}

/// The configuration after defaults, typed for use (kubelet's defaults from pkg/kubelet/apis/config/v1beta1/defaults.go).
public struct KubeletSettings: Sendable, Equatable {
    public var staticPodPath: String?
    public var rootDir: String
    public var podLogsDir: String
    public var containerLogsDir: String
    public var fileCheckFrequency: Double
    public var syncFrequency: Double
    public var healthzBindAddress: String
    public var healthzPort: Int
    public var containerLogMaxSize: Int64
    public var containerLogMaxFiles: Int
    public var nodeName: String
    /// The kubelet API (HTTPS): `address`:`port`, serving certificate, client CA and authorization mode.
    public var address: String
    public var port: Int
    public var enableServer: Bool
    public var tlsCertFile: String?
    public var tlsPrivateKeyFile: String?
    public var clientCAFile: String?
    public var authorizationMode: String
    public var registerNode: Bool
    public var nodeStatusUpdateFrequency: Double
    /// The rate limit of the kubelet's API client (`kubeAPIQPS`, `kubeAPIBurst`); heartbeats are not limited.
    public var kubeAPIQPS: Double
    public var kubeAPIBurst: Int
    /// `--node-ip`; otherwise the first non-loopback IPv4 address.
    public var nodeIP: String?
    /// The CRI runtime (`containerRuntimeEndpoint`, `--container-runtime-endpoint`). Unlike upstream there is no
    /// default: without one every pod runs as host processes, so a host where containerd merely happens to be
    /// installed keeps running its control plane as before.
    public var containerRuntimeEndpoint: String?

    public init(configuration c: KubeletConfiguration, rootDir: String, nodeName: String) throws(KubeletConfigError) {
        staticPodPath = c.staticPodPath.flatMap { $0.isEmpty ? nil : $0 }
        self.rootDir = rootDir
        podLogsDir = c.podLogsDir.flatMap { $0.isEmpty ? nil : $0 } ?? "/var/log/pods"
        let parent = podLogsDir.split(separator: "/").dropLast().joined(separator: "/")
        containerLogsDir = "/" + (parent.isEmpty ? "" : parent + "/") + "containers"
        func seconds(_ d: GoDuration?, _ fallback: Double) -> Double {
            guard let d, d.nanoseconds > 0 else { return fallback }
            return d.seconds
        }
        fileCheckFrequency = seconds(c.fileCheckFrequency, 20)
        syncFrequency = seconds(c.syncFrequency, 60)
        healthzBindAddress = c.healthzBindAddress.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        healthzPort = c.healthzPort ?? 10248
        let sizeText = c.containerLogMaxSize.flatMap { $0.isEmpty ? nil : $0 } ?? "10Mi"
        guard let size = Quantity.bytes(sizeText), size > 0 else {
            throw KubeletConfigError("containerLogMaxSize: Invalid value: \"\(sizeText)\": must be a quantity such as 10Mi")
        }
        containerLogMaxSize = size
        containerLogMaxFiles = c.containerLogMaxFiles ?? 5
        if containerLogMaxFiles < 2 {
            throw KubeletConfigError("containerLogMaxFiles: Invalid value: \(containerLogMaxFiles): must be at least 2")
        }
        if !(0...65535).contains(healthzPort) {
            throw KubeletConfigError("healthzPort: Invalid value: \(healthzPort): must be between 0 and 65535")
        }
        self.nodeName = nodeName
        address = c.address.flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0"
        port = c.port ?? 10250
        if !(1...65535).contains(port) { throw KubeletConfigError("port: Invalid value: \(port): must be between 1 and 65535") }
        enableServer = c.enableServer ?? true
        tlsCertFile = c.tlsCertFile.flatMap { $0.isEmpty ? nil : $0 }
        tlsPrivateKeyFile = c.tlsPrivateKeyFile.flatMap { $0.isEmpty ? nil : $0 }
        clientCAFile = c.authentication?.x509?.clientCAFile.flatMap { $0.isEmpty ? nil : $0 }
        authorizationMode = c.authorization?.mode.flatMap { $0.isEmpty ? nil : $0 } ?? "AlwaysAllow"
        if !["AlwaysAllow", "Webhook"].contains(authorizationMode) {
            throw KubeletConfigError("authorization.mode: Unsupported value: \"\(authorizationMode)\": supported values: \"AlwaysAllow\", \"Webhook\"")
        }
        registerNode = c.registerNode ?? true
        nodeStatusUpdateFrequency = seconds(c.nodeStatusUpdateFrequency, 10)
        let qps = c.kubeAPIQPS ?? 50
        if qps < 0 { throw KubeletConfigError("invalid configuration: kubeAPIQPS (--kube-api-qps) \(qps) must not be a negative number") }
        let burst = c.kubeAPIBurst ?? 100
        if burst < 0 { throw KubeletConfigError("invalid configuration: kubeAPIBurst (--kube-api-burst) \(burst) must not be a negative number") }
        // Zero is client-go's default, 5 per second with bursts of 10, not "unlimited".
        kubeAPIQPS = qps == 0 ? 5 : Double(qps)
        kubeAPIBurst = burst == 0 ? 10 : burst
        nodeIP = nil
        containerRuntimeEndpoint = c.containerRuntimeEndpoint.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// How long a heartbeat (Node status, Lease) may wait for its answer: upstream's heartbeat client timeout, the
    /// status period capped at the Lease's 40 s.
    public var heartbeatTimeout: Double { min(nodeStatusUpdateFrequency, 40) }
}

public struct KubeletConfigError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
