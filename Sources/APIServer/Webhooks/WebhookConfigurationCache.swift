import KubeAPI
import KubeJSON
import KubeStorage
import Logging

/// One webhook of a configuration, as the dispatchers call it.
struct ConfiguredWebhook: Sendable {
    var configurationName: String
    var webhook: AdmissionWebhook
    /// Identifies the webhook for reinvocation: the configuration, its place and its name.
    var id: String { "\(configurationName)/\(webhook.name)" }
}

/// The webhook configurations the admission plugins call, kept in memory from the storage (upstream's informer-fed
/// configuration managers): listed once before the apiserver is ready, then followed by a watch, relisting whenever
/// the watch ends. Requests read the cache; none reads the storage for them. ValidatingAdmissionPolicies are followed
/// too, only to say once per policy that they are not enforced.
actor WebhookConfigurationCache {
    enum Kind: Sendable { case mutating, validating }

    static let mutatingPrefix = "/registry/mutatingwebhookconfigurations/"
    static let validatingPrefix = "/registry/validatingwebhookconfigurations/"
    static let policyPrefix = "/registry/validatingadmissionpolicies/"

    private let logger: Logger
    /// By storage key; each configuration's webhooks in its order.
    private var mutatingByKey: [String: [ConfiguredWebhook]] = [:]
    private var validatingByKey: [String: [ConfiguredWebhook]] = [:]
    /// Sorted by configuration name, as upstream orders them.
    private(set) var mutating: [ConfiguredWebhook] = []
    private(set) var validating: [ConfiguredWebhook] = []
    /// Policies already reported as not enforced, by uid.
    private var reportedPolicies: Set<String> = []
    private var tasks: [Task<Void, Never>] = []

    init(logger: Logger) { self.logger = logger }

    func webhooks(_ kind: Kind) -> [ConfiguredWebhook] { kind == .mutating ? mutating : validating }

    /// Fills the cache before returning, then follows changes until `stop`.
    func start(storage: any StorageBackend) async {
        for (prefix, kind) in [(Self.mutatingPrefix, Kind.mutating), (Self.validatingPrefix, .validating)] {
            if let list = try? await storage.range(prefix: prefix, startAfter: nil, limit: 0) { replace(kind, list.kvs) }
            let reflector = StorageReflector(storage: storage, prefix: prefix, logger: logger)
            tasks.append(Task {
                await reflector.run(relisted: { kvs in await self.replace(kind, kvs) }) { event in
                    await self.apply(kind, event)
                }
            })
        }
        let policies = StorageReflector(storage: storage, prefix: Self.policyPrefix, logger: logger)
        tasks.append(Task {
            await policies.run { event in
                guard event.type == .put, let policy = event.object else { return }
                await self.reportPolicy(policy)
            }
        })
    }

    func stop() async {
        let running = tasks
        tasks = []
        for task in running { task.cancel() }
        for task in running { await task.value }
    }

    private func replace(_ kind: Kind, _ kvs: [KeyValue]) {
        var byKey: [String: [ConfiguredWebhook]] = [:]
        for kv in kvs { byKey[kv.key] = decode(kv) }
        if kind == .mutating { mutatingByKey = byKey } else { validatingByKey = byKey }
        rebuild(kind)
    }

    private func apply(_ kind: Kind, _ event: StorageEvent) {
        let hooks = event.type == .delete ? nil : decode(event.kv)
        if kind == .mutating { mutatingByKey[event.kv.key] = hooks } else { validatingByKey[event.kv.key] = hooks }
        rebuild(kind)
    }

    private func rebuild(_ kind: Kind) {
        let byKey = kind == .mutating ? mutatingByKey : validatingByKey
        let sorted = byKey.values.sorted { ($0.first?.configurationName ?? "") < ($1.first?.configurationName ?? "") }.flatMap { $0 }
        if kind == .mutating { mutating = sorted } else { validating = sorted }
    }

    /// A configuration that does not decode is left out with a log line (the others still apply).
    private func decode(_ kv: KeyValue) -> [ConfiguredWebhook] {
        guard let object = try? JSONParser.parse(kv.value) else {
            logger.warning("webhook configuration \(kv.key) is not valid JSON; ignoring it")
            return []
        }
        let name = object.metaName
        var hooks: [ConfiguredWebhook] = []
        for (i, json) in (object["webhooks"]?.array ?? []).enumerated() {
            do {
                let hook = try AdmissionWebhook(json: json)
                if !(hook.matchConditions ?? []).isEmpty {
                    logger.warning("webhook \"\(hook.name)\" of \(name): matchConditions are not evaluated (no CEL); the webhook is called as if they matched")
                }
                hooks.append(ConfiguredWebhook(configurationName: name, webhook: hook))
            } catch {
                logger.warning("webhook configuration \(name): webhooks[\(i)] does not decode (\(error)); ignoring it")
            }
        }
        return hooks
    }

    private func reportPolicy(_ policy: JSONValue) {
        let uid = policy.metaUID
        guard reportedPolicies.insert(uid).inserted else { return }
        logger.warning("ValidatingAdmissionPolicy \"\(policy.metaName)\" is stored but not enforced: this kube-apiserver does not evaluate CEL")
    }
}
