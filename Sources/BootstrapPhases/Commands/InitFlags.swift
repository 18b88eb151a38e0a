import Foundation
import KubeCommand
import KubeadmAPI

/// kubeadm's flags for `init` and its phases, with kubeadm's names, defaults and help text.
enum InitFlags {
    static let config = Flag("config", usage: "Path to a kubeadm configuration file.")
    static let certDir = Flag("cert-dir", default: KubeadmDefaults.certificatesDir, usage: "The path where to save and store the certificates.")
    static let kubeconfigDir = Flag("kubeconfig-dir", default: KubeadmDefaults.kubeconfigDir, usage: "The path where to save the kubeconfig file.")
    static let advertiseAddress = Flag("apiserver-advertise-address", usage: "The IP address the API Server will advertise it's listening on. If not set the default network interface will be used.")
    static let bindPort = Flag("apiserver-bind-port", kind: .int, default: "6443", usage: "Port for the API Server to bind to.")
    static let extraSANs = Flag("apiserver-cert-extra-sans", kind: .strings, usage: "Optional extra Subject Alternative Names (SANs) to use for the API Server serving certificate. Can be both IP addresses and DNS names.")
    static let controlPlaneEndpoint = Flag("control-plane-endpoint", usage: "Specify a stable IP address or DNS name for the control plane.")
    static let nodeName = Flag("node-name", usage: "Specify the node name.")
    static let serviceCIDR = Flag("service-cidr", default: KubeadmDefaults.serviceSubnet, usage: "Use alternative range of IP address for service VIPs.")
    static let podNetworkCIDR = Flag("pod-network-cidr", usage: "Specify range of IP addresses for the pod network. If set, the control plane will automatically allocate CIDRs for every node.")
    static let serviceDNSDomain = Flag("service-dns-domain", default: KubeadmDefaults.dnsDomain, usage: "Use alternative domain for services, e.g. \"myorg.internal\".")
    static let kubernetesVersion = Flag("kubernetes-version", default: KubeadmDefaults.kubernetesVersion, usage: "Choose a specific Kubernetes version for the control plane.")
    static let skipPhases = Flag("skip-phases", kind: .strings, usage: "List of phases to be skipped")
    static let ignorePreflightErrors = Flag("ignore-preflight-errors", kind: .strings, usage: "A list of checks whose errors will be shown as warnings. Example: 'IsPrivilegedUser,Swap'. Value 'all' ignores errors from all checks.")
    static let dryRun = Flag("dry-run", kind: .bool, usage: "Don't apply any changes; just output what would be done (files are written under a temporary directory).")
    static let templatesDir = Flag("templates-dir", usage: "Directory of the static pod manifest templates (default: templates/ of the build tree, or /usr/local/share/kubestrap/templates).")
    static let controlPlaneMode = Flag("control-plane-mode", default: "static-pod", usage: "How the kube-apiserver runs: 'static-pod' (the kubelet runs it from /etc/kubernetes/manifests) or 'systemd' (its own unit, /etc/systemd/system/kube-apiserver.service).")
    static let storageBackend = Flag("storage-backend", default: "embedded", usage: "Where the kube-apiserver keeps its state: 'embedded' (its own durable store in /var/lib/kubestrap) or 'etcd3' (a stacked etcd static pod as kubeadm sets up, data in /var/lib/etcd; needs etcd, e.g. apt-get install etcd-server).")
    static let criSocket = Flag("cri-socket", usage: "Path to the CRI socket to connect. If empty kubeadm will try to auto-detect this value; use this option only if you have more than one CRI installed or if you have non-standard CRI socket.")
    static let rootPrefix = Flag("root-prefix", hidden: true, usage: "Prefix for every path init writes (tests).")

    static let all: [Flag] = [config, certDir, kubeconfigDir, advertiseAddress, bindPort, extraSANs, controlPlaneEndpoint,
                              nodeName, podNetworkCIDR, serviceCIDR, serviceDNSDomain, kubernetesVersion, ignorePreflightErrors, dryRun,
                              templatesDir, controlPlaneMode, storageBackend, criSocket, rootPrefix]

    /// Only flags the user actually gave override the config file; defaults come from the config or kubeadm.
    static func overrides(from flags: ParsedFlags) throws -> FlagOverrides {
        var o = FlagOverrides()
        if flags.changed("cert-dir") { o.certificatesDir = flags.string("cert-dir") }
        if flags.changed("apiserver-advertise-address") { o.advertiseAddress = flags.string("apiserver-advertise-address") }
        if flags.changed("apiserver-bind-port") { o.bindPort = try flags.int("apiserver-bind-port") }
        o.certSANs = flags.strings("apiserver-cert-extra-sans")
        if flags.changed("control-plane-endpoint") { o.controlPlaneEndpoint = flags.string("control-plane-endpoint") }
        if flags.changed("node-name") { o.nodeName = flags.string("node-name") }
        if flags.changed("service-cidr") { o.serviceSubnet = flags.string("service-cidr") }
        if flags.changed("pod-network-cidr") { o.podSubnet = flags.string("pod-network-cidr") }
        if flags.changed("service-dns-domain") { o.dnsDomain = flags.string("service-dns-domain") }
        if flags.changed("kubernetes-version") { o.kubernetesVersion = flags.string("kubernetes-version") }
        return o
    }

    /// Reads `--config` (if given), merges the flags, validates, and builds the run data.
    static func runData(from invocation: Invocation, host: HostFacts) throws -> InitRunData {
        let reporter = Reporter(sink: invocation.output)
        var file: ConfigFile? = nil
        if let path = invocation.flags.string("config"), !path.isEmpty {
            let loaded = try ConfigFile.load(path: path)
            for kind in loaded.ignoredKinds {
                reporter.warn("W: \(path): \(kind) is accepted but not used by this command")
            }
            file = loaded
        }
        let flags = invocation.flags
        var settings = try InitSettings.resolve(file: file, flags: try overrides(from: flags), host: host)
        var kubeconfigDir = flags.string("kubeconfig-dir") ?? KubeadmDefaults.kubeconfigDir
        var options = InitOptions()
        options.ignorePreflightErrors = Set(flags.strings("ignore-preflight-errors").map { $0 == "all" ? "all" : $0 })
        options.dryRun = flags.bool("dry-run")
        options.controlPlaneMode = flags.string("control-plane-mode") ?? "static-pod"
        guard ["static-pod", "systemd"].contains(options.controlPlaneMode) else {
            throw CommandError("--control-plane-mode \(options.controlPlaneMode): expected 'static-pod' or 'systemd'")
        }
        options.storageBackend = flags.string("storage-backend") ?? "embedded"
        guard ["embedded", "etcd3"].contains(options.storageBackend) else {
            throw CommandError("--storage-backend \(options.storageBackend): expected 'embedded' or 'etcd3'")
        }
        var root = flags.string("root-prefix") ?? "/"
        // The runtime is the host's (under --root-prefix in tests), also for a dry run, which writes elsewhere.
        let criFlag = flags.changed("cri-socket") ? flags.string("cri-socket") : nil
        options.cri = CRIEndpoint.detect(root: root, given: criFlag ?? settings.initConfiguration.nodeRegistration?.criSocket,
                                         field: criFlag != nil ? "--cri-socket" : "nodeRegistration.criSocket")
        if options.dryRun {
            // kubeadm's dry run: everything goes under a fresh temporary directory, nothing is started.
            root = NSTemporaryDirectory() + "kubestrap-init-dryrun" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            settings.certificatesDir = root + settings.certificatesDir
            kubeconfigDir = root + kubeconfigDir
            reporter.say("[dryrun] Writing everything under \(root)")
        }
        let paths = InitPaths(root: root, templatesDir: flags.string("templates-dir"))
        options.cri = options.cri.keepingRecorded(inFlagsFile: paths.kubeletFlagsFile)
        return InitRunData(settings: settings, kubeconfigDir: kubeconfigDir, reporter: reporter, paths: paths, options: options)
    }
}
