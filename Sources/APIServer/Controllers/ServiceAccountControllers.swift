import KubeJSON
import KubeStorage
import Logging
import ServiceAccountToken

/// The service account controllers upstream runs in kube-controller-manager, run here in the apiserver (which has no
/// controller manager beside it, as with namespace deletion): every active namespace gets the `default`
/// ServiceAccount and the `kube-root-ca.crt` ConfigMap back whenever they go missing, and Secrets of type
/// `kubernetes.io/service-account-token` get their long-lived token.
actor ServiceAccountControllers: InProcessController {
    private let logger: Logger
    private var task: Task<Void, Never>?

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        let logger = logger
        let context = RequestContext(user: UserInfo(name: "system:kube-controller-manager", groups: ["system:masters"]))
        let serviceAccounts = ServiceAccountController(server: server, context: context, logger: logger)
        let rootCA = server.options.rootCAPEM.map { RootCACertPublisher(server: server, pem: $0, context: context, logger: logger) }
        let tokens = server.options.serviceAccountTokens?.signingKey.map {
            TokensController(server: server, signingKey: $0, rootCA: server.options.rootCAPEM, context: context, logger: logger)
        }
        if rootCA == nil { logger.info("no --client-ca-file: namespaces get no kube-root-ca.crt ConfigMap") }
        if tokens == nil { logger.info("no --service-account-signing-key-file: service account tokens are not issued") }
        func reflector(_ prefix: String) -> StorageReflector {
            StorageReflector(storage: server.storage, prefix: prefix, logger: logger)
        }
        task = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await reflector("/registry/namespaces/").run { event in
                        guard event.type == .put, let ns = event.object, ns.metaDeletionTimestamp == nil else { return }
                        await serviceAccounts.ensureDefault(in: ns.metaName)
                        await rootCA?.ensure(in: ns.metaName)
                    }
                }
                group.addTask {
                    await reflector("/registry/serviceaccounts/").run { event in
                        guard event.type == .delete, let sa = event.object else { return }
                        if sa.metaName == ServiceAccountController.defaultName { await serviceAccounts.ensureDefault(in: sa.metaNamespace) }
                        await tokens?.deleteTokens(of: sa)
                    }
                }
                if let rootCA {
                    group.addTask {
                        await reflector("/registry/configmaps/").run { event in
                            guard event.kv.key.hasSuffix("/" + RootCACertPublisher.name), let cm = event.object else { return }
                            if event.type == .delete || !rootCA.isCurrent(cm) { await rootCA.ensure(in: cm.metaNamespace) }
                        }
                    }
                }
                if let tokens {
                    group.addTask {
                        await reflector("/registry/secrets/").run { event in
                            guard event.type == .put, let secret = event.object,
                                  secret["type"]?.string == TokensController.secretType else { return }
                            await tokens.sync(secret)
                        }
                    }
                }
            }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }
}

/// Whether a namespace can take new objects (exists and is not terminating).
func namespaceIsActive(_ name: String, server: APIServer) async -> Bool {
    guard let ns = try? await StoredObjects(storage: server.storage).object("namespaces", namespace: "", name: name) else { return false }
    return ns.metaDeletionTimestamp == nil
}

/// upstream's serviceaccount controller: the `default` ServiceAccount in every active namespace.
struct ServiceAccountController: Sendable {
    static let defaultName = "default"
    let server: APIServer
    let context: RequestContext
    let logger: Logger

    func ensureDefault(in namespace: String) async {
        guard let store = server.store("", "v1", "serviceaccounts") else { return }
        if (try? await store.get(namespace: namespace, name: Self.defaultName)) != nil { return }
        guard await namespaceIsActive(namespace, server: server) else { return }
        let sa: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount",
                             "metadata": ["name": .string(Self.defaultName), "namespace": .string(namespace)]]
        do {
            _ = try await store.create(namespace: namespace, object: sa, context: context)
            logger.debug("created ServiceAccount \(namespace)/\(Self.defaultName)")
        } catch let error as StatusError where error.code == 409 || error.code == 403 || error.code == 404 {
            // Created meanwhile, or the namespace started terminating.
        } catch {
            logger.warning("serviceaccount controller: creating \(namespace)/\(Self.defaultName): \(error)")
        }
    }
}

/// upstream's root-ca-cert-publisher: `kube-root-ca.crt` with the cluster CA in every active namespace, restored when
/// deleted or edited, so pods can verify the apiserver (the projected service account volume mounts it).
struct RootCACertPublisher: Sendable {
    static let name = "kube-root-ca.crt"
    static let descriptionAnnotation = "kubernetes.io/description"
    static let description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."

    let server: APIServer
    let pem: String
    let context: RequestContext
    let logger: Logger

    func isCurrent(_ cm: JSONValue) -> Bool {
        cm["data"] == ["ca.crt": .string(pem)] && !(cm[path: ["metadata", "annotations", Self.descriptionAnnotation]]?.string ?? "").isEmpty
    }

    func ensure(in namespace: String) async {
        guard let store = server.store("", "v1", "configmaps") else { return }
        do {
            if let current = try? await store.get(namespace: namespace, name: Self.name) {
                guard !isCurrent(current) else { return }
                var updated = current
                updated["data"] = ["ca.crt": .string(pem)]
                updated[path: ["metadata", "annotations", Self.descriptionAnnotation]] = .string(Self.description)
                _ = try await store.update(namespace: namespace, name: Self.name, object: updated, context: context)
                return
            }
            guard await namespaceIsActive(namespace, server: server) else { return }
            let cm: JSONValue = [
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": ["name": .string(Self.name), "namespace": .string(namespace),
                             "annotations": [Self.descriptionAnnotation: .string(Self.description)]],
                "data": ["ca.crt": .string(pem)],
            ]
            _ = try await store.create(namespace: namespace, object: cm, context: context)
        } catch let error as StatusError where [403, 404, 409].contains(error.code) {
            // Raced with another writer or with namespace deletion; the next event settles it.
        } catch {
            logger.warning("root-ca-cert-publisher: \(namespace)/\(Self.name): \(error)")
        }
    }
}

/// upstream's tokens controller, for long-lived tokens users still ask for: a Secret of type
/// `kubernetes.io/service-account-token` annotated with `kubernetes.io/service-account.name` gets `token`, `ca.crt`
/// and `namespace`; it is deleted when its service account is missing or deleted (as upstream).
struct TokensController: Sendable {
    static let secretType = "kubernetes.io/service-account-token"
    static let nameAnnotation = "kubernetes.io/service-account.name"
    static let uidAnnotation = "kubernetes.io/service-account.uid"

    let server: APIServer
    let signingKey: SigningKey
    let rootCA: String?
    let context: RequestContext
    let logger: Logger

    func sync(_ secret: JSONValue) async {
        guard secret.metaDeletionTimestamp == nil, let secrets = server.store("", "v1", "secrets") else { return }
        let namespace = secret.metaNamespace
        let saName = secret[path: ["metadata", "annotations", Self.nameAnnotation]]?.string ?? ""
        let wantedUID = secret[path: ["metadata", "annotations", Self.uidAnnotation]]?.string ?? ""
        let sa = try? await StoredObjects(storage: server.storage).object("serviceaccounts", namespace: namespace, name: saName)
        guard let sa, sa.metaDeletionTimestamp == nil, wantedUID.isEmpty || wantedUID == sa.metaUID else {
            logger.info("tokens controller: deleting Secret \(namespace)/\(secret.metaName): its ServiceAccount \"\(saName)\" does not exist")
            await delete(secret, from: secrets)
            return
        }
        let data = secret["data"]?.object ?? [:]
        let needsToken = (data["token"]?.string ?? "").isEmpty
        let needsCA = rootCA != nil && (data["ca.crt"]?.string ?? "").isEmpty
        let needsNamespace = (data["namespace"]?.string ?? "").isEmpty
        guard needsToken || needsCA || needsNamespace || wantedUID.isEmpty else { return }
        do {
            _ = try await secrets.guaranteedUpdate(namespace: namespace, name: secret.metaName, context: context) { current in
                guard var updated = current else { throw StatusError.notFound(GroupResource(group: "", resource: "secrets"), secret.metaName) }
                var data = updated["data"]?.object ?? [:]
                if (data["token"]?.string ?? "").isEmpty {
                    let claims = ServiceAccountClaims.legacy(namespace: namespace, serviceAccount: .init(name: sa.metaName, uid: sa.metaUID),
                                                             secretName: secret.metaName)
                    data["token"] = .string(Base64.encode(Array(try signingKey.sign(claims: claims.json).utf8)))
                }
                if let rootCA, (data["ca.crt"]?.string ?? "").isEmpty { data["ca.crt"] = .string(Base64.encode(Array(rootCA.utf8))) }
                if (data["namespace"]?.string ?? "").isEmpty { data["namespace"] = .string(Base64.encode(Array(namespace.utf8))) }
                updated["data"] = .object(data)
                updated[path: ["metadata", "annotations", Self.nameAnnotation]] = .string(sa.metaName)
                updated[path: ["metadata", "annotations", Self.uidAnnotation]] = .string(sa.metaUID)
                return updated
            }
            logger.debug("tokens controller: populated Secret \(namespace)/\(secret.metaName)")
        } catch let error as StatusError where error.code == 404 {
        } catch {
            logger.warning("tokens controller: Secret \(namespace)/\(secret.metaName): \(error)")
        }
    }

    /// A deleted ServiceAccount takes its token Secrets with it.
    func deleteTokens(of sa: JSONValue) async {
        guard let secrets = server.store("", "v1", "secrets"),
              let list = try? await secrets.list(namespace: sa.metaNamespace, options: ListOptions()) else { return }
        for secret in list.items where secret["type"]?.string == Self.secretType
            && secret[path: ["metadata", "annotations", Self.nameAnnotation]]?.string == sa.metaName {
            let uid = secret[path: ["metadata", "annotations", Self.uidAnnotation]]?.string ?? ""
            if uid.isEmpty || uid == sa.metaUID { await delete(secret, from: secrets) }
        }
    }

    private func delete(_ secret: JSONValue, from secrets: GenericStore) async {
        do {
            _ = try await secrets.delete(namespace: secret.metaNamespace, name: secret.metaName, options: DeleteOptions(), context: context)
        } catch let error as StatusError where error.code == 404 {
        } catch {
            logger.warning("tokens controller: deleting Secret \(secret.metaNamespace)/\(secret.metaName): \(error)")
        }
    }
}
