import ControllerRuntime
import KubeClient
import KubeJSON
import Logging

/// Runs the enabled controllers of kube-controller-manager on one set of shared informers, while this process holds
/// the leader lease (or always, without leader election).
public struct ControllerManager: Sendable {
    public var client: any KubernetesClient
    /// The client a controller acts through: its own service account's with `--use-service-account-credentials`,
    /// else the manager's.
    public var clientFor: @Sendable (ControllerDescriptor) async throws -> any KubernetesClient
    public var controllers: [ControllerDescriptor]
    public var options: ControllerManagerOptions
    public var clock: any RuntimeClock
    public var logger: Logger
    public var host: String?

    public init(client: any KubernetesClient, controllers: [ControllerDescriptor], options: ControllerManagerOptions = ControllerManagerOptions(),
                clock: any RuntimeClock = SystemClock(), logger: Logger, host: String? = nil,
                clientFor: (@Sendable (ControllerDescriptor) async throws -> any KubernetesClient)? = nil) {
        self.client = client
        self.controllers = controllers
        self.options = options
        self.clock = clock
        self.logger = logger
        self.host = host
        let shared = client
        self.clientFor = clientFor ?? { _ in shared }
    }

    /// `--controllers` as upstream reads it: `*` for the default set, a name to enable, `-name` to disable.
    public static func select(_ flags: [String], from all: [ControllerDescriptor]) throws -> [ControllerDescriptor] {
        let names = Set(all.map(\.name))
        for flag in flags where flag != "*" {
            let name = flag.hasPrefix("-") ? String(flag.dropFirst()) : flag
            guard names.contains(name) || knownUnimplemented.contains(name) else {
                throw ControllerManagerError("--controllers: \"\(flag)\" is not in the list of known controllers: \(all.map(\.name).sorted().joined(separator: ", "))")
            }
        }
        let star = flags.isEmpty || flags.contains("*")
        return all.filter { d in
            if flags.contains("-" + d.name) { return false }
            if flags.contains(d.name) { return true }
            return star && d.enabledByDefault
        }
    }

    /// Upstream controllers kubeadm names that this build does not have yet: accepted in `--controllers`.
    static let knownUnimplemented: Set<String> = ["bootstrapsigner", "tokencleaner", "csrsigning", "csrapproving", "csrcleaner",
                                                  "nodeipam", "route", "service", "cloud-node-lifecycle", "attachdetach",
                                                  "persistentvolume-expander", "ephemeral-volume", "horizontalpodautoscaling",
                                                  "ttl", "certificatesigningrequest-cleaner", "taint-eviction-controller",
                                                  "endpointslice-mirroring", "storage-version-gc", "validatingadmissionpolicy-status",
                                                  "resourceclaim", "legacy-serviceaccount-token-cleaner",
                                                  "service-cidr-controller", "storageversion-migrator", "selinux-warning"]

    /// Makes and runs the controllers until the task is cancelled. Each starts on its own: one whose credentials
    /// are not ready yet (RBAC still bootstrapping) does not hold the others up.
    public func runControllers() async {
        let informers = InformerFactory(client: client, clock: clock, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            for descriptor in controllers {
                group.addTask { await run(descriptor, informers: informers) }
            }
            await group.waitForAll()
        }
        await informers.shutdown()
    }

    private func run(_ descriptor: ControllerDescriptor, informers: InformerFactory) async {
        // Credentials can lag (a starting apiserver, a token not issued yet): retried, as upstream's client builder
        // waits for its token.
        var controllerClient: (any KubernetesClient)?
        var delay = 0.5
        while controllerClient == nil, !Task.isCancelled {
            do {
                controllerClient = descriptor.usesRootCredentials ? client : try await clientFor(descriptor)
            } catch {
                logger.error("Error starting \"\(descriptor.name)\": cannot get credentials for \(descriptor.serviceAccount): \(error); retrying in \(delay)s")
                try? await clock.sleep(for: delay)
                delay = min(delay * 2, 10)
            }
        }
        guard let controllerClient else { return }
        let recorder = EventRecorder(component: descriptor.component, host: host, client: controllerClient, clock: clock, logger: logger)
        // The informers are the manager's (shared, listed once with its credentials); writes go through the
        // controller's own client.
        let context = ControllerContext(client: controllerClient, informers: informers, clock: clock,
                                        logger: logger, options: options, recorder: recorder)
        let controller = descriptor.make(context)
        informers.start()
        logger.info("Started \"\(descriptor.name)\"")
        await controller.run()
        recorder.stop()
    }
}

public struct ControllerManagerError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
