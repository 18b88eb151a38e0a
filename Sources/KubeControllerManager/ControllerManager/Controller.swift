import ControllerRuntime
import KubeClient
import Logging

/// One of kube-controller-manager's controllers. It is made (registering the informers and handlers it needs) before
/// the shared informers start, then run until its task is cancelled: waiting for the caches, then working its queue.
public protocol Controller: Sendable {
    func run() async
}

/// What a controller is made from (upstream's ControllerContext): the process's shared informers, a client acting
/// as the controller's own identity, a clock, an event recorder naming the controller, and the options.
public struct ControllerContext: Sendable {
    public let client: any KubernetesClient
    public let informers: InformerFactory
    public let clock: any RuntimeClock
    public let logger: Logger
    public let options: ControllerManagerOptions
    public let recorder: EventRecorder

    public init(client: any KubernetesClient, informers: InformerFactory, clock: any RuntimeClock, logger: Logger,
                options: ControllerManagerOptions, recorder: EventRecorder) {
        self.client = client
        self.informers = informers
        self.clock = clock
        self.logger = logger
        self.options = options
        self.recorder = recorder
    }

    /// Waits for the informers this controller uses (all started ones) to list once.
    public func waitForCacheSync(_ name: String) async -> Bool {
        logger.info("Waiting for caches to sync for \(name)")
        let ok = await informers.waitForCacheSync()
        if ok { logger.info("Caches are synced for \(name)") }
        return ok
    }
}

/// A controller as `--controllers` names it: upstream's name (`deployment`, `garbage-collector`), whether `*`
/// enables it, the service account it acts as with `--use-service-account-credentials`, and how it is made.
public struct ControllerDescriptor: Sendable {
    public var name: String
    public var enabledByDefault: Bool
    /// `<name>` of `system:serviceaccount:kube-system:<name>`, and of `system:controller:<name>`.
    public var serviceAccount: String
    /// The event source component (`deployment-controller`).
    public var component: String
    public var make: @Sendable (ControllerContext) -> any Controller
    /// Acts with the manager's own credentials even with `--use-service-account-credentials` (upstream's tokens
    /// controller: it makes the tokens the others would use).
    public var usesRootCredentials: Bool

    public init(name: String, enabledByDefault: Bool = true, serviceAccount: String, component: String? = nil,
                usesRootCredentials: Bool = false, make: @escaping @Sendable (ControllerContext) -> any Controller) {
        self.usesRootCredentials = usesRootCredentials
        self.name = name
        self.enabledByDefault = enabledByDefault
        self.serviceAccount = serviceAccount
        self.component = component ?? serviceAccount
        self.make = make
    }
}

/// A controller made of a work queue of keys and a sync function, the shape of nearly every upstream controller:
/// handlers enqueue keys, `workers` tasks sync them, a failure is retried with the queue's backoff.
public struct QueueWorker: Sendable {
    public let queue: WorkQueue
    public let name: String
    public let workers: Int
    public let logger: Logger

    public init(name: String, workers: Int, clock: any RuntimeClock, logger: Logger) {
        self.name = name
        self.workers = workers
        self.logger = logger
        queue = WorkQueue(name: name, clock: clock)
    }

    /// Works the queue until the task is cancelled.
    public func run(context: ControllerContext, sync: @escaping @Sendable (String) async throws -> Void) async {
        logger.info("Starting \(name) controller")
        defer { logger.info("Shutting down \(name) controller") }
        guard await context.waitForCacheSync(name) else { return }
        let name = self.name, logger = self.logger, queue = self.queue
        await queue.run(workers: workers, sync: sync) { key, error in
            let retries = queue.numRequeues(key)
            logger.warning("\(name): error syncing \"\(key)\" (retry \(retries + 1)): \(error)")
        }
    }
}
