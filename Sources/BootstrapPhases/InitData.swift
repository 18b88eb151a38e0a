import Foundation
import KubeadmAPI
import KubeCommand

/// What every `init` phase can read: the resolved settings, where to write, and where to report.
/// Phases see only this, never the command line (kubeadm's InitData).
public protocol InitData: Sendable {
    var settings: InitSettings { get }
    var certificatesDir: String { get }
    var kubeconfigDir: String { get }
    var reporter: Reporter { get }
    var clock: @Sendable () -> Date { get }
    var paths: InitPaths { get }
    var options: InitOptions { get }
}

/// Init's own switches beyond the kubeadm configuration.
public struct InitOptions: Sendable {
    public var ignorePreflightErrors: Set<String> = []
    public var dryRun = false
    /// `static-pod` (default): the kube-apiserver runs as the kubelet's static pod; `systemd`: as its own unit.
    public var controlPlaneMode = "static-pod"
    /// `embedded` (default): the kube-apiserver's own store under /var/lib/kubestrap; `etcd3`: a stacked etcd static
    /// pod (kubeadm's layout), which the kube-apiserver reaches at https://127.0.0.1:2379.
    public var storageBackend = "embedded"
    public var usesEtcd: Bool { storageBackend == "etcd3" }
    public var waitTimeout: Double = 240
    /// The container runtime the kubelet is pointed at (`--container-runtime-endpoint` in kubeadm-flags.env), or none.
    public var cri = CRIEndpoint(endpoint: nil, source: "detected")
    public init() {}
}

/// The concrete run data built from a command line.
public struct InitRunData: InitData {
    public let settings: InitSettings
    public let kubeconfigDir: String
    public let reporter: Reporter
    public let clock: @Sendable () -> Date
    public var paths: InitPaths
    public var options: InitOptions

    public var certificatesDir: String { settings.certificatesDir }

    public init(settings: InitSettings, kubeconfigDir: String, reporter: Reporter, clock: @escaping @Sendable () -> Date = { Date() },
                paths: InitPaths = InitPaths(), options: InitOptions = InitOptions()) {
        self.settings = settings
        self.kubeconfigDir = kubeconfigDir
        self.reporter = reporter
        self.clock = clock
        self.paths = paths
        self.options = options
    }
}

/// Where phases print their `[phase] …` lines; user-facing progress goes to standard output,
/// warnings to standard error, as kubeadm does.
public struct Reporter: Sendable {
    private let sink: any OutputSink

    public init(sink: any OutputSink) { self.sink = sink }

    public func say(_ line: String) { sink.out(line + "\n") }
    public func warn(_ line: String) { sink.err(line + "\n") }
}
