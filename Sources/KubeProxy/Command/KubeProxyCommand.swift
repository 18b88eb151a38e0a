import ControllerRuntime
import Foundation
import KubeAPI
import KubeClient
import KubeCommand
import KubeLog
import Logging

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
        for (address, responder) in [
            (options.healthzBindAddress, ProxyServer.healthz(health, now: { clock.now() })),
            (options.metricsBindAddress, ProxyServer.metrics(health)),
        ] where !address.isEmpty {
            guard let (host, port) = hostPort(address) else { continue }
            do {
                servers.append(try await ProxyServer.start(host: host, port: port, logger: logger, respond: responder))
            } catch {
                for server in servers { await server.close() }
                throw fail(logger, "failed to listen on \(address): \(error)")
            }
        }
        let work = Task { await proxier.run() }
        let signals = SignalWaiter.wait(for: [SIGTERM, SIGINT])
        let signalTask = Task { for await _ in signals { work.cancel(); return } }
        await work.value
        signalTask.cancel()
        await informers.shutdown()
        for server in servers { await server.close() }
        logger.info("kube-proxy stopped")
    }
}

