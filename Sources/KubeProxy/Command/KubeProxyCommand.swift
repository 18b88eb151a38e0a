import ControllerRuntime
import Foundation
import KubeAPI
import KubeClient
import KubeCommand
import KubeLog
import Logging
import Synchronization

/// The `kube-proxy` command line: upstream's flags and `--config` (a KubeProxyConfiguration; a flag given on the
/// command line wins over the file, the file over upstream's defaults). The work is in `Proxier`.
public enum KubeProxyCommand {
    public static func make(version: String) -> Command {
        Command(
            name: "kube-proxy",
            short: "The Kubernetes network proxy runs on each node: it programs iptables so that Service cluster IPs and node ports reach the Service's endpoints (Kubestrap, in Swift).",
            flags: [
                Flag("config", usage: "The path to the configuration file."),
                Flag("kubeconfig", usage: "Path to kubeconfig file with authorization information (the master location can be overridden by the master flag)."),
                Flag("master", usage: "The address of the Kubernetes API server (overrides any value in kubeconfig)"),
                Flag("hostname-override", usage: "If non-empty, will be used as the name of the Node that kube-proxy is running on. If unset, the node name is assumed to be the same as the node's hostname."),
                Flag("cluster-cidr", usage: "The CIDR range of the pods in the cluster. (For dual-stack clusters, this can be a comma-separated dual-stack pair of CIDR ranges.). When --detect-local-mode is set to ClusterCIDR, kube-proxy will consider traffic to be local if its source IP is in this range. (Otherwise it is not used.) This parameter is ignored if a config file is specified by --config."),
                Flag("bind-address", default: "0.0.0.0", usage: "Overrides kube-proxy's idea of what its node's primary IP is."),
                Flag("healthz-bind-address", default: "0.0.0.0:10256", usage: "The IP address and port for the health check server to serve on, defaulting to \"0.0.0.0:10256\". This parameter is ignored if a config file is specified by --config."),
                Flag("metrics-bind-address", default: "127.0.0.1:10249", usage: "The IP address and port for the metrics server to serve on, defaulting to \"127.0.0.1:10249\". (Set to \"0.0.0.0:10249\" / \"[::]:10249\" to bind on all interfaces.) Set empty to disable. This parameter is ignored if a config file is specified by --config."),
                Flag("proxy-mode", usage: "Which proxy mode to use: on Linux this can be 'iptables' (default) or 'ipvs'; this kube-proxy implements 'iptables'."),
                Flag("masquerade-all", kind: .bool, usage: "SNAT all traffic sent via Service cluster IPs. This may be required with some CNI plugins."),
                Flag("iptables-masquerade-bit", kind: .int, default: "14", usage: "Iptables mode: If using the iptables or ipvs proxy mode, the bit of the fwmark space to mark packets requiring SNAT with. Must be within the range [0, 31]."),
                Flag("iptables-min-sync-period", kind: .duration, default: "1s", usage: "The minimum period between iptables rule resyncs (e.g. '5s', '1m', '2h22m'). A value of 0 means every Service or EndpointSlice change will result in an immediate iptables resync."),
                Flag("iptables-sync-period", kind: .duration, default: "30s", usage: "An interval (e.g. '5s', '1m', '2h22m') indicating how frequently various re-synchronizing and cleanup operations are performed. Must be greater than 0."),
                Flag("kube-api-qps", kind: .float32, default: "5", usage: "QPS to use while talking with kubernetes apiserver."),
                Flag("kube-api-burst", kind: .int, default: "10", usage: "Burst to use while talking with kubernetes apiserver."),
                Flag("cleanup", kind: .bool, usage: "If true cleanup iptables and ipvs rules and exit."),
                Flag("version", kind: .bool, usage: "Print version information and quit"),
            ],
            persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "number for the log level verbosity")],
            run: { invocation in
                let flags = invocation.flags
                if flags.bool("version") {
                    invocation.output.out("Kubernetes \(version)\n")
                    return
                }
                let verbosity = (try? flags.int("v")) ?? 0
                KlogHandler.bootstrap(verbosity: verbosity)
                var logger = Logger(label: "kube-proxy")
                logger.logLevel = KlogHandler.level(forVerbosity: verbosity)
                signal(SIGPIPE, SIG_IGN)
                try await run(flags: flags, version: version, logger: logger)
            })
    }

    static func fail(_ logger: Logger, _ message: String) -> ExitError {
        logger.critical("\(message)")
        return ExitError(code: 1)
    }

    /// What the command runs with once flags and the file are merged.
    public struct Options: Sendable, Equatable {
        public var kubeconfig: String?
        public var master: String?
        public var hostnameOverride: String?
        public var clusterCIDR: String?
        public var healthzBindAddress = "0.0.0.0:10256"
        public var metricsBindAddress = "127.0.0.1:10249"
        public var mode = "iptables"
        public var masqueradeAll = false
        public var masqueradeBit = 14
        public var minSyncPeriod = 1.0
        public var syncPeriod = 30.0
        public var qps = 5.0
        public var burst = 10
        public init() {}
    }

    /// Merges `--config` and the flags, and checks the result; each problem names its flag or field.
    public static func options(flags: ParsedFlags, file: KubeProxyConfiguration?) throws -> Options {
        var o = Options()
        var problems: [String] = []
        if let file {
            o.kubeconfig = file.clientConnection?.kubeconfig
            o.qps = file.clientConnection?.qps ?? o.qps
            o.burst = file.clientConnection?.burst ?? o.burst
            o.clusterCIDR = file.clusterCIDR
            o.healthzBindAddress = file.healthzBindAddress ?? o.healthzBindAddress
            o.metricsBindAddress = file.metricsBindAddress ?? o.metricsBindAddress
            o.hostnameOverride = file.hostnameOverride
            o.mode = file.mode ?? o.mode
            o.masqueradeAll = file.iptables?.masqueradeAll ?? false
            o.masqueradeBit = file.iptables?.masqueradeBit ?? o.masqueradeBit
            o.minSyncPeriod = file.iptables?.minSyncPeriod?.seconds ?? o.minSyncPeriod
            o.syncPeriod = file.iptables?.syncPeriod?.seconds ?? o.syncPeriod
        }
        func duration(_ name: String) -> Double? {
            guard flags.changed(name), let text = flags.string(name) else { return nil }
            guard let value = GoDuration(text) else {
                problems.append("invalid argument \"\(text)\" for \"--\(name)\" flag: expected a duration such as 30s")
                return nil
            }
            return value.seconds
        }
        if flags.changed("kubeconfig") { o.kubeconfig = flags.string("kubeconfig") }
        if flags.changed("master") { o.master = flags.string("master") }
        if flags.changed("hostname-override") { o.hostnameOverride = flags.string("hostname-override") }
        if flags.changed("cluster-cidr") { o.clusterCIDR = flags.string("cluster-cidr") }
        if flags.changed("healthz-bind-address") { o.healthzBindAddress = flags.string("healthz-bind-address") ?? "" }
        if flags.changed("metrics-bind-address") { o.metricsBindAddress = flags.string("metrics-bind-address") ?? "" }
        if flags.changed("proxy-mode") { o.mode = flags.string("proxy-mode") ?? "" }
        if flags.changed("masquerade-all") { o.masqueradeAll = flags.bool("masquerade-all") }
        do {
            if flags.changed("iptables-masquerade-bit") { o.masqueradeBit = try flags.int("iptables-masquerade-bit") ?? 14 }
            if flags.changed("kube-api-qps") { o.qps = try flags.float("kube-api-qps") ?? o.qps }
            if flags.changed("kube-api-burst") { o.burst = try flags.int("kube-api-burst") ?? o.burst }
        } catch { problems.append("\(error)") }
        o.minSyncPeriod = duration("iptables-min-sync-period") ?? o.minSyncPeriod
        o.syncPeriod = duration("iptables-sync-period") ?? o.syncPeriod
        if o.mode.isEmpty { o.mode = "iptables" }

        if o.mode != "iptables" {
            problems.append("mode: Invalid value: \"\(o.mode)\": this kube-proxy implements only \"iptables\"")
        }
        if !(0...31).contains(o.masqueradeBit) {
            problems.append("iptables.masqueradeBit: Invalid value: \(o.masqueradeBit): must be within the range [0, 31]")
        }
        if o.syncPeriod <= 0 { problems.append("iptables.syncPeriod: Invalid value: must be greater than 0") }
        if o.minSyncPeriod < 0 { problems.append("iptables.minSyncPeriod: Invalid value: must be greater than or equal to 0") }
        if let cidr = o.clusterCIDR, !cidr.isEmpty {
            // Dual-stack pairs are accepted; only the IPv4 range is used (this proxier programs iptables, not ip6tables).
            let ranges = cidr.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if ranges.contains(where: { !IPv4.isValidCIDR($0) && !$0.contains(":") }) {
                problems.append("clusterCIDR: Invalid value: \"\(cidr)\": must be a valid CIDR block or a comma-separated list of CIDR blocks")
            }
        }
        for (field, value) in [("healthzBindAddress", o.healthzBindAddress), ("metricsBindAddress", o.metricsBindAddress)] where !value.isEmpty {
            if hostPort(value) == nil { problems.append("\(field): Invalid value: \"\(value)\": must be IP:port") }
        }
        if o.qps <= 0 || o.burst <= 0 { problems.append("--kube-api-qps and --kube-api-burst must be greater than 0") }
        guard problems.isEmpty else { throw KubeProxyConfigError(problems.joined(separator: "; ")) }
        return o
    }

    /// The IPv4 range of `--cluster-cidr`, the one the masquerade rules use.
    static func ipv4ClusterCIDR(_ text: String?) -> String? {
        text?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.first(where: IPv4.isValidCIDR)
    }

    /// `host:port` or `[v6]:port`.
    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    static func nodeName(_ override: String?) -> String {
        if let override, !override.isEmpty { return override.lowercased() }
        return ProcessInfo.processInfo.hostName.split(separator: ".").first.map { $0.lowercased() } ?? "localhost"
    }

    static func run(flags: ParsedFlags, version: String, logger: Logger) async throws {
        var file: KubeProxyConfiguration?
        if let path = flags.string("config"), !path.isEmpty {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                let (parsed, unknown) = try KubeProxyConfiguration.parse(text, file: path)
                if !unknown.isEmpty {
                    logger.warning("Using lenient decoding as strict decoding failed", metadata: [
                        "err": "strict decoding error: \(unknown.map { "unknown field \"\($0)\"" }.joined(separator: ", "))"])
                }
                file = parsed
            } catch {
                throw fail(logger, "failed to load config file \(path): \(error)")
            }
        }
        let options: Options
        do { options = try self.options(flags: flags, file: file) } catch { throw fail(logger, "invalid configuration: \(error)") }
        let executor = ProcessExecutor()
        if flags.bool("cleanup") {
            let ok = await Cleanup.run(executor: executor, logger: logger)
            if !ok { throw ExitError(code: 1) }
            return
        }
        logger.info("Starting kube-proxy", metadata: ["version": "\(version)"])
        let node = nodeName(options.hostnameOverride)
        guard let kubeconfig = options.kubeconfig, !kubeconfig.isEmpty else {
            throw fail(logger, "--kubeconfig (or clientConnection.kubeconfig in --config) is required: this kube-proxy needs the API server's address and credentials")
        }
        var config: ClientConfig
        do { config = try ClientConfig.load(kubeconfig: kubeconfig) } catch { throw fail(logger, "--kubeconfig \(kubeconfig): \(error)") }
        if let master = options.master, !master.isEmpty {
            guard let url = URL(string: master.contains("://") ? master : "https://" + master), let host = url.host else {
                throw fail(logger, "--master \(master): expected https://host:port")
            }
            config.host = host
            config.port = url.port ?? 443
        }
        config.userAgent = "kube-proxy/\(version) (linux) kubestrap"
        config.qps = options.qps
        config.burst = options.burst
        let client: RESTClient
        do { client = try RESTClient(config: config) } catch { throw fail(logger, "cannot build the API client from \(kubeconfig): \(error)") }

        let clusterCIDR = ipv4ClusterCIDR(options.clusterCIDR)
        logger.info("Using iptables Proxier")
        logger.info("kube-proxy running in single-stack mode", metadata: ["ipFamily": "IPv4", "node": "\(node)"])
        if clusterCIDR == nil && !options.masqueradeAll {
            logger.warning("Detect-local-mode set to ClusterCIDR, but no cluster CIDR specified for primary IP family; traffic to cluster IPs from outside the pod network is not masqueraded")
        }
        let informers = InformerFactory(client: client, logger: logger)
        let settings = Proxier.Settings(
            rules: RulesWriter.Options(clusterCIDR: clusterCIDR, masqueradeAll: options.masqueradeAll, masqueradeBit: options.masqueradeBit),
            minSyncPeriod: options.minSyncPeriod, syncPeriod: options.syncPeriod)
        let proxier = Proxier(informers: informers, executor: executor, settings: settings, logger: logger)

        var servers: [ProxyServer] = []
        let clock = SystemClock()
        let health = proxier.health
        let syncs = SyncCounter()
        for (address, responder) in [
            (options.healthzBindAddress, ProxyServer.healthz(health, now: { clock.now() })),
            (options.metricsBindAddress, ProxyServer.metrics(health, syncs: { syncs.value }, now: { clock.now() })),
        ] where !address.isEmpty {
            guard let (host, port) = hostPort(address) else { continue }
            do {
                servers.append(try await ProxyServer.start(host: host, port: port, logger: logger, respond: responder))
            } catch {
                for server in servers { await server.close() }
                throw fail(logger, "failed to listen on \(address): \(error)")
            }
        }
        let work = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await proxier.run() }
                group.addTask {
                    // The metrics' sync count, read from the actor without blocking a request on it.
                    while !Task.isCancelled {
                        syncs.set(await proxier.successfulSyncs)
                        try? await Task.sleep(for: .seconds(1))
                    }
                }
                await group.next()
                group.cancelAll()
            }
        }
        let signals = SignalWaiter.wait(for: [SIGTERM, SIGINT])
        let signalTask = Task { for await _ in signals { work.cancel(); return } }
        await work.value
        signalTask.cancel()
        await informers.shutdown()
        for server in servers { await server.close() }
        logger.info("kube-proxy stopped")
    }
}

final class SyncCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func set(_ value: Int) { count.withLock { $0 = value } }
}
