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

/// The `kube-controller-manager` command line: upstream's flags as kubeadm writes them. The work is in
/// `ControllerManager`; this file reads flags and wires.
public enum KubeControllerManagerCommand {
    /// Flags kubeadm writes that are accepted and not acted on (yet); each one given is logged once.
    static let acceptedFlags: [Flag] = ComponentFlags.delegatedServing + [
        Flag("allocate-node-cidrs", kind: .bool, usage: "Should CIDRs for Pods be allocated and set on the cloud provider (accepted)."),
        Flag("cluster-cidr", usage: "CIDR Range for Pods in cluster (accepted)."),
        Flag("service-cluster-ip-range", usage: "CIDR Range for Services in cluster (accepted)."),
        Flag("node-cidr-mask-size", kind: .int, usage: "Mask size for node cidr in cluster (accepted)."),
    ]

    public static func make(version: String) -> Command {
        Command(
            name: "kube-controller-manager",
            short: "The Kubernetes controller manager is a daemon that embeds the core control loops (Kubestrap, in Swift).",
            flags: [
                Flag("kubeconfig", usage: "Path to kubeconfig file with authorization and master location information."),
                Flag("master", usage: "The address of the Kubernetes API server (overrides any value in kubeconfig)."),
                Flag("bind-address", default: "0.0.0.0", usage: "The IP address on which to listen for the --secure-port port."),
                Flag("secure-port", kind: .int, default: "10257", usage: "The port on which to serve HTTPS with authentication and authorization. If 0, don't serve HTTPS at all."),
                Flag("controllers", kind: .strings, default: "*", usage: "A list of controllers to enable. '*' enables all on-by-default controllers, 'foo' enables the controller named 'foo', '-foo' disables the controller named 'foo'."),
                Flag("cluster-name", default: "kubernetes", usage: "The instance prefix for the cluster."),
                Flag("root-ca-file", usage: "If set, this root certificate authority will be included in service account's token secret and the kube-root-ca.crt ConfigMap."),
                Flag("service-account-private-key-file", usage: "Filename containing a PEM-encoded private RSA or ECDSA key used to sign service account tokens."),
                Flag("use-service-account-credentials", kind: .bool, usage: "If true, use individual service account credentials for each controller."),
                Flag("kube-api-qps", kind: .float32, default: "20", usage: "QPS to use while talking with kubernetes apiserver."),
                Flag("kube-api-burst", kind: .int, default: "30", usage: "Burst to use while talking with kubernetes apiserver."),
                Flag("concurrent-deployment-syncs", kind: .int, default: "5", usage: "The number of deployment objects that are allowed to sync concurrently."),
                Flag("concurrent-replicaset-syncs", kind: .int, default: "5", usage: "The number of replica sets that are allowed to sync concurrently."),
                Flag("concurrent-rc-syncs", kind: .int, default: "5", usage: "The number of replication controllers that are allowed to sync concurrently."),
                Flag("concurrent-statefulset-syncs", kind: .int, default: "5", usage: "The number of statefulset objects that are allowed to sync concurrently."),
                Flag("concurrent-daemonset-syncs", kind: .int, default: "2", usage: "The number of daemonset objects that are allowed to sync concurrently."),
                Flag("concurrent-job-syncs", kind: .int, default: "5", usage: "The number of job objects that are allowed to sync concurrently."),
                Flag("concurrent-cron-job-syncs", kind: .int, default: "5", usage: "The number of cron job objects that are allowed to sync concurrently."),
                Flag("concurrent-gc-syncs", kind: .int, default: "20", usage: "The number of garbage collector workers that are allowed to sync concurrently."),
                Flag("concurrent-namespace-syncs", kind: .int, default: "10", usage: "The number of namespace objects that are allowed to sync concurrently."),
                Flag("concurrent-endpoint-syncs", kind: .int, default: "5", usage: "The number of endpoint syncing operations that will be done concurrently."),
                Flag("concurrent-service-endpoint-syncs", kind: .int, default: "5", usage: "The number of service endpoint syncing operations that will be done concurrently."),
                Flag("max-endpoints-per-slice", kind: .int, default: "100", usage: "The maximum number of endpoints that will be added to an EndpointSlice. More endpoints per slice will result in less endpoint slices, but larger resources. Defaults to 100."),
                Flag("concurrent-resource-quota-syncs", kind: .int, default: "5", usage: "The number of resource quotas that are allowed to sync concurrently."),
                Flag("concurrent-horizontal-pod-autoscaler-syncs", kind: .int, default: "5", usage: "The number of horizontal pod autoscaler objects that are allowed to sync concurrently."),
                Flag("horizontal-pod-autoscaler-sync-period", kind: .duration, default: "15s", usage: "The period for syncing the number of pods in horizontal pod autoscaler."),
                Flag("node-monitor-grace-period", kind: .duration, default: "50s", usage: "Amount of time which we allow running Node to be unresponsive before marking it unhealthy."),
                Flag("node-monitor-period", kind: .duration, default: "5s", usage: "The period for syncing NodeStatus in cloud-node-lifecycle-controller."),
                Flag("node-startup-grace-period", kind: .duration, default: "1m0s", usage: "Amount of time which we allow starting Node to be unresponsive before marking it unhealthy."),
                Flag("terminated-pod-gc-threshold", kind: .int, default: "12500", usage: "Number of terminated pods that can exist before the terminated pod garbage collector starts deleting terminated pods."),
                Flag("version", kind: .bool, usage: "Print version information and quit"),
            ] + SigningFlags.flags + ComponentFlags.leaderElection(resourceName: "kube-controller-manager") + acceptedFlags,
            persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "number for the log level verbosity")],
            run: { invocation in
                let flags = invocation.flags
                if flags.bool("version") {
                    invocation.output.out("Kubernetes \(version)\n")
                    return
                }
                let verbosity = (try? flags.int("v")) ?? 0
                KlogHandler.bootstrap(verbosity: verbosity)
                var logger = Logger(label: "kube-controller-manager")
                if verbosity >= 4 { logger.logLevel = .debug }
                signal(SIGPIPE, SIG_IGN)
                try await run(flags: flags, version: version, logger: logger)
            })
    }

    static func fail(_ logger: Logger, _ message: String) -> ExitError {
        logger.critical("\(message)")
        return ExitError(code: 1)
    }

    static func seconds(_ flags: ParsedFlags, _ name: String, _ fallback: Double, _ logger: Logger) throws -> Double {
        guard let text = flags.string(name) else { return fallback }
        guard let value = GoDuration(text)?.seconds, value >= 0 else {
            throw fail(logger, "invalid argument \"\(text)\" for \"--\(name)\" flag: expected a duration such as 15s")
        }
        return value
    }

    static func run(flags: ParsedFlags, version: String, logger: Logger) async throws {
        logger.info("Version: \(version)")
        for flag in acceptedFlags where flags.changed(flag.name) {
            logger.info("flag is accepted but not acted on by this kube-controller-manager yet", metadata: ["flag": "--\(flag.name)"])
        }
        guard let kubeconfig = flags.string("kubeconfig"), !kubeconfig.isEmpty else {
            throw fail(logger, "--kubeconfig is required: this kube-controller-manager runs outside a cluster and needs the API server's address and credentials")
        }
        var config: ClientConfig
        do { config = try ClientConfig.load(kubeconfig: kubeconfig) } catch { throw fail(logger, "\(error)") }
        config.userAgent = "kube-controller-manager/\(version) (linux) kubestrap"
        var options = ControllerManagerOptions()
        do {
            config.qps = try flags.float("kube-api-qps") ?? 20
            config.burst = try flags.int("kube-api-burst") ?? 30
            options.concurrentDeploymentSyncs = try flags.int("concurrent-deployment-syncs") ?? 5
            options.concurrentReplicaSetSyncs = try flags.int("concurrent-replicaset-syncs") ?? 5
            options.concurrentRCSyncs = try flags.int("concurrent-rc-syncs") ?? 5
            options.concurrentStatefulSetSyncs = try flags.int("concurrent-statefulset-syncs") ?? 5
            options.concurrentDaemonSetSyncs = try flags.int("concurrent-daemonset-syncs") ?? 2
            options.concurrentJobSyncs = try flags.int("concurrent-job-syncs") ?? 5
            options.concurrentCronJobSyncs = try flags.int("concurrent-cron-job-syncs") ?? 5
            options.concurrentGCSyncs = try flags.int("concurrent-gc-syncs") ?? 20
            options.concurrentNamespaceSyncs = try flags.int("concurrent-namespace-syncs") ?? 10
            options.concurrentEndpointSyncs = try flags.int("concurrent-endpoint-syncs") ?? 5
            options.concurrentServiceEndpointSyncs = try flags.int("concurrent-service-endpoint-syncs") ?? 5
            options.concurrentResourceQuotaSyncs = try flags.int("concurrent-resource-quota-syncs") ?? 5
            options.concurrentHorizontalPodAutoscalerSyncs = try flags.int("concurrent-horizontal-pod-autoscaler-syncs") ?? 5
            options.maxEndpointsPerSlice = try flags.int("max-endpoints-per-slice") ?? 100
            options.terminatedPodGCThreshold = try flags.int("terminated-pod-gc-threshold") ?? 12500
        } catch { throw fail(logger, "\(error)") }
        options.nodeMonitorGracePeriod = try seconds(flags, "node-monitor-grace-period", 50, logger)
        options.nodeMonitorPeriod = try seconds(flags, "node-monitor-period", 5, logger)
        options.horizontalPodAutoscalerSyncPeriod = max(1, try seconds(flags, "horizontal-pod-autoscaler-sync-period", 15, logger))
        options.nodeStartupGracePeriod = try seconds(flags, "node-startup-grace-period", 60, logger)
        options.clusterName = flags.string("cluster-name") ?? "kubernetes"
        options.clusterSigningCertFile = flags.string("cluster-signing-cert-file")
        options.clusterSigningKeyFile = flags.string("cluster-signing-key-file")
        options.clusterSigningDuration = try seconds(flags, "cluster-signing-duration", 8760 * 3600, logger)
        do { options.signingAuthorities = try SigningFlags.authorities(flags) } catch { throw fail(logger, "\(error)") }
        if let file = flags.string("root-ca-file"), !file.isEmpty {
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw fail(logger, "--root-ca-file \(file): cannot read the file")
            }
            options.rootCAPEM = pem
        }
        if let file = flags.string("service-account-private-key-file"), !file.isEmpty {
            guard let pem = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw fail(logger, "--service-account-private-key-file \(file): cannot read the file")
            }
            options.serviceAccountSigningKeyPEM = pem
        }
        let port: Int
        do { port = try flags.int("secure-port") ?? 10257 } catch { throw fail(logger, "\(error)") }
        guard (0...65535).contains(port) else { throw fail(logger, "--secure-port \(port) must be between 0 and 65535, inclusive") }

        let client: RESTClient
        do { client = try RESTClient(config: config) } catch { throw fail(logger, "cannot build the API client from \(kubeconfig): \(error)") }
        let descriptors: [ControllerDescriptor]
        do { descriptors = try ControllerManager.select(flags.strings("controllers"), from: ControllerRegistry.all) } catch {
            throw fail(logger, "\(error)")
        }
        let credentials = flags.bool("use-service-account-credentials")
            ? ServiceAccountCredentials(root: client, base: config, logger: logger) : nil
        var election = LeaderElectionConfig(namespace: flags.string("leader-elect-resource-namespace") ?? "kube-system",
                                            name: flags.string("leader-elect-resource-name") ?? "kube-controller-manager",
                                            identity: ComponentServing.identity())
        election.leaseDuration = try seconds(flags, "leader-elect-lease-duration", 15, logger)
        election.renewDeadline = try seconds(flags, "leader-elect-renew-deadline", 10, logger)
        election.retryPeriod = try seconds(flags, "leader-elect-retry-period", 2, logger)
        let manager = ControllerManager(client: client, controllers: descriptors, options: options, logger: logger,
                                        host: election.identity.split(separator: "_").first.map(String.init),
                                        clientFor: { descriptor in
                                            guard let credentials else { return client }
                                            return try await credentials.client(for: descriptor.serviceAccount)
                                        })
        let serving = ComponentServing(name: "kube-controller-manager", bindAddress: flags.string("bind-address") ?? "0.0.0.0",
                                       securePort: port, leaderElect: flags.bool("leader-elect"), election: election,
                                       client: client, logger: logger)
        let work = Task { await serving.run { await manager.runControllers() } }
        let signals = SignalWaiter.wait(for: [SIGTERM, SIGINT])
        let signalTask = Task { for await _ in signals { work.cancel(); return } }
        let outcome = await work.value
        signalTask.cancel()
        credentials?.stop()
        switch outcome {
        case .stopped: logger.info("kube-controller-manager stopped")
        case .leaderElectionLost: throw ExitError(code: 1)
        case .servingFailed(let message): throw fail(logger, message)
        }
    }
}
