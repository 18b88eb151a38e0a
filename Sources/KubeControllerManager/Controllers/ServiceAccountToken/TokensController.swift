import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import ServiceAccountToken

/// upstream's serviceaccount-token controller (on when `--service-account-private-key-file` is given): a Secret of
/// type `kubernetes.io/service-account-token` annotated with `kubernetes.io/service-account.name` gets a long-lived
/// `token`, `ca.crt` (`--root-ca-file`) and `namespace`; it is deleted when its ServiceAccount is missing or was
/// deleted, and a deleted ServiceAccount takes its token Secrets along. Keyed by Secret.
struct TokensController: Controller {
    static let secretType = "kubernetes.io/service-account-token"
    static let nameAnnotation = "kubernetes.io/service-account.name"
    static let uidAnnotation = "kubernetes.io/service-account.uid"

    let context: ControllerContext
    let secrets: ObjectStore
    let serviceAccounts: ObjectStore
    let worker: QueueWorker
    let signingKey: SigningKey?

    init(context: ControllerContext) {
        self.context = context
        secrets = ObjectStore(.secrets, context: context)
        serviceAccounts = ObjectStore(.serviceAccounts, context: context)
        worker = QueueWorker(name: "tokens", workers: context.options.concurrentServiceAccountTokenSyncs, clock: context.clock, logger: context.logger)
        signingKey = context.options.serviceAccountSigningKeyPEM.flatMap { try? SigningKey(pem: $0, source: "--service-account-private-key-file") }
        let queue = worker.queue, cache = secrets.cache
        secrets.informer.addEventHandler(EventHandler(onAdd: { secret in
            if secret["type"]?.string == Self.secretType { queue.add(ObjectCache.key(secret)) }
        }, onUpdate: { _, secret in
            if secret["type"]?.string == Self.secretType { queue.add(ObjectCache.key(secret)) }
        }))
        serviceAccounts.informer.addEventHandler(EventHandler(onDelete: { sa in
            for secret in cache.byIndex(Indexes.namespace, sa.metaNamespace) where secret["type"]?.string == Self.secretType
                && secret[path: ["metadata", "annotations", Self.nameAnnotation]]?.string == sa.metaName {
                queue.add(ObjectCache.key(secret))
            }
        }))
    }

    func run() async {
        guard signingKey != nil else {
            context.logger.info("no usable --service-account-private-key-file: token Secrets are not populated")
            return
        }
        await worker.run(context: context) { key in try await sync(key) }
    }

    func sync(_ key: String) async throws {
        guard let signingKey, let secret = secrets.cache.get(key), secret.metaDeletionTimestamp == nil,
              secret["type"]?.string == Self.secretType else { return }
        let namespace = secret.metaNamespace
        // Decoded before anything is decided: a Secret whose annotations do not read must not be taken for one
        // without a ServiceAccount and deleted.
        let typed: Typed<Secret>
        do {
            typed = try Workloads.typed(secret)
        } catch {
            context.logger.warning("tokens controller: skipping \(error)")
            return
        }
        let annotations = typed.object.metadata.annotations ?? [:]
        let saName = annotations[Self.nameAnnotation] ?? ""
        let wantedUID = annotations[Self.uidAnnotation] ?? ""
        guard let sa = serviceAccounts.get(namespace: namespace, name: saName), sa.metaDeletionTimestamp == nil,
              wantedUID.isEmpty || wantedUID == sa.metaUID else {
            context.logger.info("tokens controller: deleting Secret \(namespace)/\(secret.metaName): its ServiceAccount \"\(saName)\" does not exist")
            do {
                try await secrets.delete(namespace: namespace, name: secret.metaName, options: DeleteOptions(preconditionUID: secret.metaUID))
            } catch let error as APIError where error.isNotFound || error.isConflict {}
            return
        }
        let data = typed.object.data ?? [:]
        let rootCA = context.options.rootCAPEM
        let needsToken = (data["token"] ?? "").isEmpty
        let needsCA = rootCA != nil && (data["ca.crt"] ?? "").isEmpty
        let needsNamespace = (data["namespace"] ?? "").isEmpty
        guard needsToken || needsCA || needsNamespace || wantedUID.isEmpty else { return }
        var newData = data
        if needsToken {
            let claims = ServiceAccountClaims.legacy(namespace: namespace, serviceAccount: .init(name: sa.metaName, uid: sa.metaUID),
                                                     secretName: secret.metaName)
            newData["token"] = Base64.encode(Array(try signingKey.sign(claims: claims.json).utf8))
        }
        if let rootCA, needsCA { newData["ca.crt"] = Base64.encode(Array(rootCA.utf8)) }
        if needsNamespace { newData["namespace"] = Base64.encode(Array(namespace.utf8)) }
        let updated = try typed.modified { s in
            s.data = newData
            var annotations = s.metadata.annotations ?? [:]
            annotations[Self.nameAnnotation] = sa.metaName
            annotations[Self.uidAnnotation] = sa.metaUID
            s.metadata.annotations = annotations
        }
        do {
            _ = try await context.client.update(.secrets, updated)
        } catch let error as APIError where error.isNotFound {}
    }
}
