import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// upstream's serviceaccount controller: the `default` ServiceAccount in every active namespace, created again
/// when it is deleted. Keyed by namespace.
struct ServiceAccountController: Controller {
    static let defaultName = "default"

    let context: ControllerContext
    let namespaces: ObjectStore
    let serviceAccounts: ObjectStore
    let worker: QueueWorker

    init(context: ControllerContext) {
        self.context = context
        namespaces = ObjectStore(.namespaces, context: context)
        serviceAccounts = ObjectStore(.serviceAccounts, context: context)
        worker = QueueWorker(name: "serviceaccount", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        namespaces.informer.addEventHandler(EventHandler(onAdd: { queue.add($0.metaName) }, onUpdate: { _, ns in queue.add(ns.metaName) }))
        serviceAccounts.informer.addEventHandler(EventHandler(onDelete: { sa in
            if sa.metaName == Self.defaultName { queue.add(sa.metaNamespace) }
        }))
    }

    func run() async {
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ namespace: String) async throws {
        guard let ns = namespaces.cache.get(namespace), ns.metaDeletionTimestamp == nil,
              serviceAccounts.get(namespace: namespace, name: Self.defaultName) == nil else { return }
        let sa = ServiceAccount(metadata: ObjectMeta(name: Self.defaultName, namespace: namespace))
        do {
            try await serviceAccounts.create(namespace: namespace, object: JSONValueEncoder().encode(sa))
        } catch let error as APIError where error.isAlreadyExists || error.code == 403 || error.isNotFound {
            // Created meanwhile, or the namespace started terminating.
        }
    }
}

/// upstream's root-ca-cert-publisher: `kube-root-ca.crt` with the cluster CA (`--root-ca-file`) in every active
/// namespace, restored when deleted or edited, so pods can verify the apiserver.
struct RootCACertPublisher: Controller {
    static let name = "kube-root-ca.crt"
    static let descriptionAnnotation = "kubernetes.io/description"
    static let description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."

    let context: ControllerContext
    let namespaces: ObjectStore
    let configMaps: ObjectStore
    let worker: QueueWorker
    let pem: String?

    init(context: ControllerContext) {
        self.context = context
        pem = context.options.rootCAPEM
        namespaces = ObjectStore(.namespaces, context: context)
        configMaps = ObjectStore(.configMaps, context: context)
        worker = QueueWorker(name: "root_ca_cert_publisher", workers: 1, clock: context.clock, logger: context.logger)
        let queue = worker.queue
        namespaces.informer.addEventHandler(EventHandler(onAdd: { queue.add($0.metaName) }, onUpdate: { _, ns in queue.add(ns.metaName) }))
        configMaps.informer.addEventHandler(.any { cm in
            if cm.metaName == Self.name { queue.add(cm.metaNamespace) }
        })
    }

    func isCurrent(_ cm: JSONValue, pem: String) -> Bool {
        cm["data"] == ["ca.crt": .string(pem)] && !(cm[path: ["metadata", "annotations", Self.descriptionAnnotation]]?.string ?? "").isEmpty
    }

    func run() async {
        guard pem != nil else {
            context.logger.info("no --root-ca-file: namespaces get no kube-root-ca.crt ConfigMap")
            return
        }
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ namespace: String) async throws {
        guard let pem, let ns = namespaces.cache.get(namespace), ns.metaDeletionTimestamp == nil else { return }
        do {
            if let current = configMaps.get(namespace: namespace, name: Self.name) {
                guard !isCurrent(current, pem: pem) else { return }
                var updated = current
                updated["data"] = ["ca.crt": .string(pem)]
                updated[path: ["metadata", "annotations", Self.descriptionAnnotation]] = .string(Self.description)
                _ = try await context.client.update(.configMaps, updated)
                return
            }
            let cm: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": .string(Self.name), "namespace": .string(namespace),
                             "annotations": [Self.descriptionAnnotation: .string(Self.description)]],
                "data": ["ca.crt": .string(pem)],
            ]
            try await configMaps.create(namespace: namespace, object: cm)
        } catch let error as APIError where error.code == 403 || error.isNotFound || error.code == 409 {
            // Raced with another writer or with namespace deletion; the next event settles it.
        }
    }
}
