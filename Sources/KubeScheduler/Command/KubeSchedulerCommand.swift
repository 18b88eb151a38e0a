import ControllerRuntime
import FoundationEssentials
import KubeAPI
import KubeClient
import KubeCommand
import KubeLog
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// The `kube-scheduler` command line: upstream's flags as kubeadm writes them, and `--config`. The work is in
/// `Scheduler`; this file reads flags and the configuration file and wires them to it.
public enum KubeSchedulerCommand {
    /// Flags kubeadm or users write that are accepted and not acted on; each one given is logged once.
    static let acceptedFlags: [Flag] = ComponentFlags.delegatedServing + [
    ]

    /// Four times upstream's 50/100: with upstream's, 10,000 pods that fit no node take over three minutes to be marked
    /// Unschedulable (one `pods/status` write each), and a large Deployment binds at 50 pods a second. The apiserver
    /// spends 1–2 ms of CPU per such write, so 200 a second is a fifth to two fifths of a core.
    static let defaultQPS = 200
    static let defaultBurst = 400

    public static func make(version: String) -> Command {
        Command(
            name: "kube-scheduler",
            short: "The Kubernetes scheduler is a control plane process which assigns Pods to Nodes (Kubestrap, in Swift).",
            flags: [
                Flag("config", usage: "The path to the configuration file (a kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration)."),
                Flag("kubeconfig", usage: "Path to kubeconfig file with authorization and master location information."),
                Flag("master", usage: "The address of the Kubernetes API server (overrides any value in kubeconfig)."),
                Flag("bind-address", default: "0.0.0.0", usage: "The IP address on which to listen for the --secure-port port."),
                Flag("secure-port", kind: .int, default: "10259", usage: "The port on which to serve HTTPS with authentication and authorization. If 0, don't serve HTTPS at all."),
                Flag("kube-api-qps", kind: .float32, default: "\(defaultQPS)", usage: "QPS to use while talking with kubernetes apiserver (Kubestrap's default; upstream's is 50)."),
                Flag("kube-api-burst", kind: .int, default: "\(defaultBurst)", usage: "Burst to use while talking with kubernetes apiserver (Kubestrap's default; upstream's is 100)."),
                Flag("version", kind: .bool, usage: "Print version information and quit"),
            ] + ComponentFlags.leaderElection(resourceName: "kube-scheduler") + acceptedFlags,
            persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "number for the log level verbosity")],
            run: { invocation in
                let flags = invocation.flags
                if flags.bool("version") {
                    invocation.output.out("Kubernetes \(version)\n")
                    return
                }
                let verbosity = (try? flags.int("v")) ?? 0
                KlogHandler.bootstrap(verbosity: verbosity)
                var logger = Logger(label: "kube-scheduler")
                logger.logLevel = KlogHandler.level(forVerbosity: verbosity)
                signal(SIGPIPE, SIG_IGN)
                try await run(flags: flags, version: version, logger: logger)
            })
    }

    static func fail(_ logger: Logger, _ message: String) -> ExitError {
        logger.critical("\(message)")
        return ExitError(code: 1)
    }

    /// A duration flag when given, else `fallback` (the configuration file's value or upstream's default).
    static func seconds(_ flags: ParsedFlags, _ name: String, _ fallback: Double, _ logger: Logger) throws -> Double {
        guard flags.changed(name), let text = flags.string(name) else { return fallback }
        guard let value = GoDuration(text), value.nanoseconds > 0 else {
            throw fail(logger, "invalid argument \"\(text)\" for \"--\(name)\" flag: expected a positive duration such as 15s")
        }
        return value.seconds
    }

    /// `https://host:port` (or `host:port`, `[::1]:6443`) as host and port; 443 when no port is given.
    static func hostPort(_ url: String) -> (String, Int)? {
        var rest = Substring(url)
        for scheme in ["https://", "http://"] where rest.hasPrefix(scheme) { rest = rest.dropFirst(scheme.count) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        var host = rest, port = 443
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("]") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            host = rest[..<colon]
            port = p
        }
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? host.dropFirst().dropLast() : host
        return name.isEmpty ? nil : (String(name), port)
    }

    static func run(flags: ParsedFlags, version: String, logger: Logger) async throws {
        logger.info("Starting Kubernetes Scheduler", metadata: ["version": "\(version)"])
        for flag in acceptedFlags where flags.changed(flag.name) {
            logger.info("flag is accepted but not acted on by this kube-scheduler", metadata: ["flag": "--\(flag.name)", "value": "\(flags.string(flag.name) ?? "")"])
        }
        // A flag given on the command line wins over the file, the file over upstream's defaults.
        var configuration = SchedulerConfiguration()
        if let file = flags.string("config"), !file.isEmpty {
            do { configuration = try SchedulerConfiguration.load(file: file) } catch { throw fail(logger, "--config: \(error)") }
            for profile in configuration.profiles {
                let named = profile.plugins.values.flatMap { $0.enabled + $0.disabled }.map(\.name)
                for name in Set(named).subtracting(PluginCatalog.implemented).subtracting(["*"]).sorted() {
                    logger.warning("plugin is accepted in the configuration but not implemented; it has no effect",
                                   metadata: ["profile": "\(profile.schedulerName)", "plugin": "\(name)"])
                }
            }
        }
        let kubeconfigFlag = flags.changed("kubeconfig") ? flags.string("kubeconfig") : nil
        guard let kubeconfig = kubeconfigFlag ?? configuration.kubeconfig ?? flags.string("kubeconfig"), !kubeconfig.isEmpty else {
            throw fail(logger, "--kubeconfig (or clientConnection.kubeconfig in --config) is required: this kube-scheduler runs outside a cluster and needs the API server's address and credentials")
        }
        var config: ClientConfig
        do { config = try ClientConfig.load(kubeconfig: kubeconfig) } catch { throw fail(logger, "--kubeconfig \(kubeconfig): \(error)") }
        config.userAgent = "kube-scheduler/\(version) (linux) kubestrap"
        let port: Int
        do {
            config.qps = configuration.qps ?? Double(defaultQPS)
            config.burst = configuration.burst ?? defaultBurst
            if flags.changed("kube-api-qps") { config.qps = try flags.float("kube-api-qps") ?? Double(defaultQPS) }
            if flags.changed("kube-api-burst") { config.burst = try flags.int("kube-api-burst") ?? defaultBurst }
            port = try flags.int("secure-port") ?? 10259
        } catch { throw fail(logger, "\(error)") }
        guard config.qps > 0, config.burst > 0 else { throw fail(logger, "--kube-api-qps and --kube-api-burst must be greater than 0") }
        guard (0...65535).contains(port) else { throw fail(logger, "--secure-port \(port) must be between 0 and 65535, inclusive") }
        if let lock = flags.string("leader-elect-resource-lock"), lock != "leases" {
            throw fail(logger, "--leader-elect-resource-lock \(lock): only \"leases\" is supported")
        }
        if let master = flags.string("master"), !master.isEmpty {
            guard let (host, masterPort) = hostPort(master) else {
                throw fail(logger, "--master \(master): expected https://host:port")
            }
            config.host = host
            config.port = masterPort
        }

        let client: RESTClient, eventClient: RESTClient
        do {
            client = try RESTClient(config: config)
            // upstream gives events a client of their own: a burst of FailedScheduling events (thousands of pending
            // pods at start) must not queue bindings behind it in one rate limiter.
            eventClient = try RESTClient(config: config)
        } catch { throw fail(logger, "cannot build the API client from \(kubeconfig): \(error)") }
        let resourceName = flags.changed("leader-elect-resource-name") ? flags.string("leader-elect-resource-name") : nil
        let resourceNamespace = flags.changed("leader-elect-resource-namespace") ? flags.string("leader-elect-resource-namespace") : nil
        var election = LeaderElectionConfig(namespace: resourceNamespace ?? configuration.resourceNamespace ?? "kube-system",
                                            name: resourceName ?? configuration.resourceName ?? "kube-scheduler",
                                            identity: ComponentServing.identity())
        election.leaseDuration = try seconds(flags, "leader-elect-lease-duration", configuration.leaseDuration ?? 15, logger)
        election.renewDeadline = try seconds(flags, "leader-elect-renew-deadline", configuration.renewDeadline ?? 10, logger)
        election.retryPeriod = try seconds(flags, "leader-elect-retry-period", configuration.retryPeriod ?? 2, logger)
        guard election.renewDeadline < election.leaseDuration else {
            throw fail(logger, "leaseDuration must be greater than renewDeadline")
        }
        let leaderElect = flags.changed("leader-elect") ? flags.bool("leader-elect") : configuration.leaderElect ?? true
        let host = election.identity.split(separator: "_").first.map(String.init)
        let settings = configuration
        let serving = ComponentServing(name: "kube-scheduler", bindAddress: flags.string("bind-address") ?? "0.0.0.0",
                                       securePort: port, leaderElect: leaderElect, election: election, client: client, logger: logger)
        let work = Task {
            await serving.run {
                // Made once leading: its informers list and watch only while this instance schedules.
                let scheduler = Scheduler(client: client, configuration: settings, logger: logger, host: host,
                                          eventClient: eventClient)
                await scheduler.run()
            }
        }
        let signals = SignalWaiter.wait(for: [SIGTERM, SIGINT])
        let signalTask = Task { for await _ in signals { work.cancel(); return } }
        let outcome = await work.value
        signalTask.cancel()
        switch outcome {
        case .stopped: logger.info("kube-scheduler stopped")
        case .leaderElectionLost: throw ExitError(code: 1)
        case .servingFailed(let message): throw fail(logger, message)
        }
    }
}
