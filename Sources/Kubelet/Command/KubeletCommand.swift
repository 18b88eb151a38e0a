import AtomicFile
import SystemdNotify
import FoundationEssentials
import Glibc
import KubeCommand
import KubeLog
import Logging

/// The `kubelet` command: upstream's flags, the config file, and the run loop with healthz, systemd notifications
/// and signal handling.
public enum KubeletCommand {
    /// Upstream flags this kubelet accepts (so kubeadm-style units and env files work) but does not act on yet.
    static let acceptedFlags: [Flag] = [
        Flag("bootstrap-kubeconfig", usage: "Path to a kubeconfig file used to get client certificates (accepted; not acted on)."),
        Flag("pod-infra-container-image", usage: "Accepted for compatibility; not used."),
        Flag("cgroup-driver", usage: "Accepted for compatibility; not used."),
        Flag("network-plugin", usage: "Accepted for compatibility; not used."),
        Flag("node-labels", kind: .stringToString, usage: "Labels to add when registering the node (accepted; not acted on yet)."),
        Flag("register-with-taints", kind: .strings, usage: "Accepted; not acted on yet."),
        Flag("fail-swap-on", kind: .bool, default: "true", usage: "Accepted; swap does not stop this kubelet."),
    ]

    public static func make(version: String) -> Command {
        Command(
            name: "kubelet",
            short: "The kubelet is the primary node agent: it runs the static pods of a manifest directory as supervised host processes.",
            flags: [
                Flag("config", usage: "The kubelet will load its initial configuration from this file (KubeletConfiguration v1beta1)."),
                Flag("kubeconfig", usage: "Path to a kubeconfig file, specifying how to connect to the API server. With it the kubelet registers its Node, renews its Lease and keeps mirror pods of its static pods."),
                Flag("container-runtime-endpoint",
                     usage: "The endpoint of the CRI container runtime, e.g. unix:///run/containerd/containerd.sock. Without it (or when nothing answers there) every pod runs as host processes; with it, pods whose RuntimeClass handler is host-process still do."),
                Flag("node-ip", usage: "IP address of the node: the Node's InternalIP and the static pods' hostIP/podIP."),
                Flag("hostname-override", usage: "If non-empty, will use this string as identification instead of the actual hostname."),
                Flag("pod-manifest-path", usage: "Path to the directory containing static pod files to run. Overrides staticPodPath in --config."),
                Flag("root-dir", default: "/var/lib/kubelet", usage: "Directory path for managing kubelet files (container checkpoints)."),
                Flag("kube-api-qps", kind: .int, default: "50",
                     usage: "QPS to use while talking with kubernetes apiserver (DEPRECATED: set kubeAPIQPS in --config). Node status and Lease renewals are not limited."),
                Flag("kube-api-burst", kind: .int, default: "100",
                     usage: "Burst to use while talking with kubernetes apiserver (DEPRECATED: set kubeAPIBurst in --config)."),
                Flag("stop-pods-on-exit", kind: .bool, usage: "Stop every static pod when the kubelet receives SIGTERM or SIGINT (upstream leaves them running; so does this kubelet by default)."),
                Flag("version", kind: .bool, usage: "Print version information and quit"),
                Flag(SelfSignedServingCertificate.helperFlag, hidden: true,
                     usage: "Write <root-dir>/pki/kubelet.{crt,key} for --hostname-override and the --node-ip addresses (comma-separated), then exit. The kubelet runs itself this way once per node."),
            ] + acceptedFlags,
            persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "number for the log level verbosity")],
            run: { invocation in
                let flags = invocation.flags
                if flags.bool("version") {
                    invocation.output.out("Kubernetes \(version)\n")
                    return
                }
                KlogHandler.bootstrap(verbosity: (try? flags.int("v")) ?? 0)
                let logger = Logger(label: "kubelet")
                if let rootDir = flags.string(SelfSignedServingCertificate.helperFlag), !rootDir.isEmpty {
                    let ips = (flags.string("node-ip") ?? "").split(separator: ",").map(String.init)
                    do {
                        try SelfSignedServingCertificate.write(rootDir: rootDir, nodeName: flags.string("hostname-override") ?? "", ips: ips)
                    } catch {
                        logger.critical("cannot write the self-signed serving certificate under \(rootDir)/pki: \(error)")
                        throw ExitError(code: 1)
                    }
                    return
                }
                signal(SIGPIPE, SIG_IGN)

                var configuration = KubeletConfiguration()
                if let path = flags.string("config"), !path.isEmpty {
                    do {
                        configuration = try KubeletConfigFile.load(path: path)
                    } catch {
                        logger.critical("failed to load kubelet config file, path: \(path), error: \(error)")
                        throw ExitError(code: 1)
                    }
                    for field in KubeletConfigFile.setButNotActedOn(configuration) {
                        logger.info("configuration field is accepted but not acted on by this kubelet yet", metadata: ["field": "\(field)"])
                    }
                }
                if flags.changed("pod-manifest-path") { configuration.staticPodPath = flags.string("pod-manifest-path") }
                if flags.changed("kube-api-qps") { configuration.kubeAPIQPS = try flags.int("kube-api-qps") }
                if flags.changed("kube-api-burst") { configuration.kubeAPIBurst = try flags.int("kube-api-burst") }
                for flag in acceptedFlags where flags.changed(flag.name) {
                    logger.info("flag is accepted but not acted on by this kubelet yet", metadata: ["flag": "--\(flag.name)"])
                }
                let hostname = ProcessInfo.processInfo.hostName
                let nodeName = (flags.string("hostname-override").flatMap { $0.isEmpty ? nil : $0 } ?? hostname).lowercased()
                var settings: KubeletSettings
                do {
                    settings = try KubeletSettings(configuration: configuration, rootDir: flags.string("root-dir") ?? "/var/lib/kubelet", nodeName: nodeName)
                } catch {
                    logger.critical("invalid kubelet configuration: \(error)")
                    throw ExitError(code: 1)
                }
                logger.info("Kubelet version", metadata: ["kubeletVersion": "\(version)", "node": "\(nodeName)"])
                try? AtomicFile.makeDirectories(settings.rootDir)

                var healthz: HealthzServer? = nil
                if settings.healthzPort > 0 {
                    do {
                        healthz = try await HealthzServer.start(host: settings.healthzBindAddress, port: settings.healthzPort)
                        logger.info("Starting healthz server", metadata: ["address": "\(settings.healthzBindAddress):\(settings.healthzPort)"])
                    } catch {
                        logger.critical("failed to listen on \(settings.healthzBindAddress):\(settings.healthzPort) for the healthz server: \(error)")
                        throw ExitError(code: 1)
                    }
                }

                if let ip = flags.string("node-ip"), !ip.isEmpty { settings.nodeIP = ip }
                if let endpoint = flags.string("container-runtime-endpoint"), !endpoint.isEmpty { settings.containerRuntimeEndpoint = endpoint }
                let finalSettings = settings
                var client: KubeletAPIClient?
                if let path = flags.string("kubeconfig"), !path.isEmpty {
                    do { client = try KubeletAPIClient(kubeconfigPath: path, settings: settings, version: version) } catch {
                        logger.critical("failed to load the kubeconfig --kubeconfig \(path): \(error)")
                        throw ExitError(code: 1)
                    }
                } else {
                    logger.info("No --kubeconfig: running standalone (no Node registration, no mirror pods)")
                }
                let (eventStream, eventContinuation) = AsyncStream<PodEvent>.makeStream(bufferingPolicy: .bufferingNewest(1000))
                let kubelet = Kubelet(settings: settings, logger: logger, hostname: hostname,
                                      events: client == nil ? nil : PodEventSink(eventContinuation), api: client?.client)
                var kubeletServer: KubeletServer?
                if settings.enableServer {
                    do { kubeletServer = try KubeletServer(kubelet: kubelet, settings: settings, client: client, logger: logger) } catch {
                        logger.critical("failed to set up the kubelet API server on \(settings.address):\(settings.port): \(error)")
                        throw ExitError(code: 1)
                    }
                }
                let stopPods = flags.bool("stop-pods-on-exit")
                let main = Task {
                    await withTaskGroup(of: Void.self) { group in
                        group.addTask {
                            await kubelet.run(onFirstSync: {
                                SystemdNotifier.notify("READY=1")
                                logger.info("static pod sources loaded; kubelet is ready")
                            })
                        }
                        if let client, finalSettings.registerNode {
                            let agent = NodeAgent(client: client, settings: finalSettings, version: version, logger: logger, events: eventStream)
                            group.addTask { await agent.run(kubelet: kubelet) }
                        }
                        if let kubeletServer {
                            group.addTask {
                                do { try await kubeletServer.run() } catch {
                                    logger.error("kubelet API server on \(finalSettings.address):\(finalSettings.port) stopped: \(error)")
                                }
                                // The pods keep running without the API.
                                while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                            }
                        }
                        if let interval = SystemdNotifier.watchdogInterval() {
                            group.addTask {
                                while !Task.isCancelled {
                                    SystemdNotifier.notify("WATCHDOG=1")
                                    try? await Task.sleep(for: .seconds(interval / 2))
                                }
                            }
                        }
                        await group.next()
                        group.cancelAll()
                    }
                }
                let signals = SignalWaiter.wait(for: [SIGTERM, SIGINT])
                let received = await signals.first { _ in true } ?? SIGTERM
                logger.info("received signal, shutting down", metadata: ["signal": "\(received == SIGINT ? "SIGINT" : "SIGTERM")"])
                SystemdNotifier.notify("STOPPING=1")
                main.cancel()
                if stopPods {
                    await kubelet.stopAllPods()
                }
                await healthz?.close()
            })
    }
}
