import KubeJSON
import KubeStorage
import KubestrapVersion
import Logging

/// The kube-apiserver without its transport: authenticated requests in, responses out. Routing follows upstream's
/// handler chain — authorization, then non-resource paths (health, version, metrics, discovery, OpenAPI), then the
/// REST resources through one generic store per resource.
public final class APIServer: Sendable {
    public let options: APIServerOptions
    public let registry: ResourceRegistry
    public var catalog: ResourceCatalog { registry.catalog }
    public let metrics: Metrics
    let storage: any StorageBackend
    let authorizer: any Authorizer
    let rbac: RBACAuthorizer?
    /// The Node authorizer's pods-to-objects graph (with `--authorization-mode` Node).
    let nodeGraph: NodeGraph?
    let tokens: TokenAuthenticator?
    let serviceIPs: ServiceIPAllocator
    let serviceNodePorts: ServiceNodePortAllocator
    let health: HealthChecks
    let logger: Logger
    /// The apiextensions server's controller: what CustomResourceDefinitions define is served by this process.
    let customResourceDefinitions: CustomResourceDefinitionController
    let serviceAccounts: ServiceAccountAuthenticator?
    let issuerDiscovery: ServiceAccountIssuerDiscovery?
    let openAPI: OpenAPICache
    public let watches = WatchRegistry()
    public let kubelets: (any KubeletConnector)?
    /// The connection of `pods/proxy`, `services/proxy` and `nodes/proxy`.
    let proxyTransport: (any ConnectTransport)?
    /// Health probes of the scheduler and controller-manager, for ComponentStatus.
    let componentProber: (any ComponentProber)?
    /// kube-aggregator's part: APIServices, their availability, and the proxy to aggregated API servers.
    let aggregator: APIAggregator
    /// The admission webhook configurations, followed from the storage.
    let webhookConfigurations: WebhookConfigurationCache

    /// `webhooks` carries the calls to admission webhooks; without it a matching webhook fails to be called (its
    /// failurePolicy decides).
    public init(options: APIServerOptions, storage: any StorageBackend, tokens: TokenAuthenticator? = nil,
                kubelets: (any KubeletConnector)? = nil, aggregation: (any AggregationTransport)? = nil,
                componentProber: (any ComponentProber)? = nil, webhooks: (any WebhookTransport)? = nil,
                proxyTransport: (any ConnectTransport)? = nil, logger: Logger) {
        self.proxyTransport = proxyTransport
        self.componentProber = componentProber
        self.options = options
        self.kubelets = kubelets
        self.aggregator = APIAggregator(transport: aggregation, logger: logger)
        let metrics = Metrics()
        self.metrics = metrics
        let instrumented = InstrumentedStorage(inner: storage, metrics: metrics)
        self.storage = instrumented
        self.logger = logger
        self.tokens = tokens
        let serviceIPs = ServiceIPAllocator(range: options.serviceClusterIPRange)
        self.serviceIPs = serviceIPs
        let serviceNodePorts = ServiceNodePortAllocator(range: options.serviceNodePortRange)
        self.serviceNodePorts = serviceNodePorts
        var authorizers: [any Authorizer] = []
        var rbac: RBACAuthorizer?
        var nodeGraph: NodeGraph?
        for mode in options.authorizationModes {
            switch mode {
            case "Node":
                let graph = NodeGraph(logger: logger)
                nodeGraph = graph
                authorizers.append(NodeAuthorizer(graph: graph))
            case "RBAC":
                let r = RBACAuthorizer(storage: instrumented, logger: logger)
                rbac = r
                authorizers.append(r)
            case "AlwaysAllow": authorizers.append(AlwaysAllowAuthorizer())
            default: break
            }
        }
        self.rbac = rbac
        self.nodeGraph = nodeGraph
        let authorizer = AuthorizerChain(authorizers)
        self.authorizer = authorizer
        var admission: [any AdmissionPlugin] = []
        if !options.disabledAdmissionPlugins.contains("NamespaceLifecycle") { admission.append(NamespaceLifecycle(storage: instrumented)) }
        if options.admissionPlugins.contains("NodeRestriction") { admission.append(NodeRestriction()) }
        if !options.disabledAdmissionPlugins.contains("ServiceAccount") { admission.append(ServiceAccountAdmission(storage: instrumented)) }
        if !options.disabledAdmissionPlugins.contains("DefaultTolerationSeconds") { admission.append(DefaultTolerationSeconds()) }
        if !options.disabledAdmissionPlugins.contains("Priority") { admission.append(PriorityAdmission(storage: instrumented)) }
        if !options.disabledAdmissionPlugins.contains("DefaultStorageClass") { admission.append(DefaultStorageClassAdmission(storage: instrumented)) }
        admission.append(CertificateSigningRequestBytes())
        // Upstream's certificates plugins, on by default: approving and signing are authorized per signer.
        if !options.disabledAdmissionPlugins.contains("CertificateApproval") { admission.append(CertificateApproval(authorizer: authorizer)) }
        if !options.disabledAdmissionPlugins.contains("CertificateSigning") { admission.append(CertificateSigning(authorizer: authorizer)) }
        if !options.disabledAdmissionPlugins.contains("CertificateSubjectRestriction") { admission.append(CertificateSubjectRestriction()) }
        admission.append(serviceIPs)
        admission.append(serviceNodePorts)
        if !options.disabledAdmissionPlugins.contains("LimitRanger") { admission.append(LimitRangerAdmission(storage: instrumented)) }
        let webhookConfigurations = WebhookConfigurationCache(logger: logger)
        self.webhookConfigurations = webhookConfigurations
        let dispatcher = WebhookDispatcher(cache: webhookConfigurations, transport: webhooks, storage: instrumented, logger: logger)
        // As upstream's order: the mutating webhooks after the built-in mutating plugins, the validating ones before
        // ResourceQuota (which charges only what every other plugin let through).
        if !options.disabledAdmissionPlugins.contains("MutatingAdmissionWebhook") { admission.append(MutatingAdmissionWebhook(dispatcher: dispatcher)) }
        // Validating plugins run after validation, in this order; ResourceQuota last, as upstream.
        if !options.disabledAdmissionPlugins.contains("LimitRanger") {
            admission.append(LimitRangerAdmission(storage: instrumented, phase: .validating))
        }
        if !options.disabledAdmissionPlugins.contains("ValidatingAdmissionWebhook") { admission.append(ValidatingAdmissionWebhook(dispatcher: dispatcher)) }
        if !options.disabledAdmissionPlugins.contains("ResourceQuota") { admission.append(ResourceQuotaAdmission(storage: instrumented)) }
        let registry = ResourceRegistry(builtIn: ResourceCatalog.standard(), storage: instrumented, admission: admission)
        self.registry = registry
        dispatcher.registry.value = registry
        self.health = HealthChecks()
        // The apiextensions server's own controller is part of the apiserver upstream too; every other controller
        // (and the scheduler) is kube-controller-manager's (kube-scheduler's), an API client of this server.
        self.customResourceDefinitions = CustomResourceDefinitionController(logger: logger)
        self.serviceAccounts = options.serviceAccountTokens.map {
            ServiceAccountAuthenticator(validator: $0.validator, storage: StoredObjects(storage: instrumented))
        }
        self.issuerDiscovery = ServiceAccountIssuerDiscovery(settings: options.serviceAccountTokens,
                                                             advertiseAddress: options.advertiseAddress, securePort: options.securePort)
        self.openAPI = OpenAPICache()
    }

    func store(_ group: String, _ version: String, _ resource: String) -> GenericStore? {
        registry.store(group, version, resource)
    }

    /// Creates what must exist (system namespaces, the RBAC bootstrap policy, the `kubernetes` Service), starts the
    /// RBAC cache and the CustomResourceDefinition controller. Health checks turn green as each part finishes.
    public func start() async throws {
        try await storage.healthCheck()
        await health.set("etcd", ok: true)
        try await Bootstrapper(server: self).run()
        await health.set("poststarthook/rbac/bootstrap-roles", ok: true)
        await health.set("poststarthook/scheduling/bootstrap-system-priority-classes", ok: true)
        if let rbac { try await rbac.start() }
        await nodeGraph?.start(storage: storage)
        await webhookConfigurations.start(storage: storage)
        await health.set("poststarthook/start-apiserver-admission-initializer", ok: true)
        let services = try await storage.range(prefix: "/registry/services/specs/", startAfter: nil, limit: 0)
        let stored = services.kvs.compactMap { try? JSONParser.parse($0.value) }
        await serviceIPs.load(stored.compactMap { $0[path: ["spec", "clusterIP"]]?.string })
        await serviceNodePorts.load(stored)
        await customResourceDefinitions.start(server: self)
        await health.set("poststarthook/crd-informer-synced", ok: true)
        await aggregator.start(server: self)
        await health.set("poststarthook/apiservice-registration-controller", ok: true)
        await health.set("poststarthook/apiservice-status-local-available-controller", ok: true)
        await health.set("poststarthook/apiservice-status-remote-available-controller", ok: true)
        await health.set("poststarthook/kube-apiserver-autoregistration", ok: true)
        await health.set("poststarthook/bootstrap-controller", ok: true)
        await health.set("informer-sync", ok: true)
    }

    /// Stops the CustomResourceDefinition controller and ends the watches. When it returns no controller pass is under
    /// way or will start: nothing this server runs on its own writes to the storage any more (a restart on the same
    /// data may follow).
    public func stop() async {
        await rbac?.stop()
        await nodeGraph?.stop()
        await webhookConfigurations.stop()
        await customResourceDefinitions.stop()
        await aggregator.stop()
        await health.setShuttingDown()
        await watches.closeAll()
    }

    // MARK: dispatch

    public func handle(_ request: APIRequest) async -> APIResponse {
        let info = RequestInfo.parse(method: request.method, path: request.path, query: request.query)
        let mutating = ["POST", "PUT", "PATCH", "DELETE"].contains(request.method)
        let start = Timestamp.monotonic()
        metrics.begin(mutating: mutating)
        var response: APIResponse
        do {
            response = try await route(request, info)
        } catch let error as StatusError {
            response = .error(error)
        } catch {
            logger.error("request \(request.method) \(request.path) failed: \(error)")
            response = .error(.internalError("\(error)"))
        }
        if info.isResourceRequest { response = protobufResponse(response, request, info) }
        let longRunning: Bool
        if case .stream = response.body { longRunning = true } else { longRunning = false }
        metrics.end(mutating: mutating, info: info, code: response.status, seconds: Timestamp.monotonic() - start,
                          longRunning: longRunning)
        if response.status >= 500 || logger.logLevel <= .debug {
            logger.log(level: response.status >= 500 ? .error : .debug,
                       "HTTP verb=\(request.method) URI=\(request.path) latency=\(Int((Timestamp.monotonic() - start) * 1e6))µs userAgent=\(request.header("user-agent") ?? "") user=\(request.user.name) resp=\(response.status)")
        }
        return response
    }

    /// A resource request whose client prefers protobuf gets its JSON answer (the object, list, Status or error)
    /// re-encoded as upstream's message; a kind without one stays JSON, which client-go's Accept also takes.
    func protobufResponse(_ response: APIResponse, _ request: APIRequest, _ info: RequestInfo) -> APIResponse {
        guard let accept = request.header("accept"), accept.contains(MediaType.protobufType),
              case .bytes(let body) = response.body,
              response.headers.contains(where: { $0.0 == "content-type" && $0.1 == "application/json" }) else { return response }
        // Only resources this server serves: an aggregated API server's answer is passed on as it came.
        guard let def = catalog.lookup(group: info.apiGroup, version: info.apiVersion, resource: info.resource),
              let media = MediaType.negotiate(accept, protobuf: MediaType.protobufForms(builtIn: def.owner == nil)), media.protobuf,
              let object = try? JSONParser.parse(body), let encoded = ProtobufEncoder.encode(object) else { return response }
        var converted = response
        converted.body = .bytes(encoded)
        converted.headers = response.headers.map { $0.0 == "content-type" ? ($0.0, ProtobufEncoder.contentType) : $0 }
        return converted
    }

    func route(_ authenticated: APIRequest, _ info: RequestInfo) async throws -> APIResponse {
        let request = try await impersonate(authenticated)
        try await authorize(request, info)
        if let proxied = await aggregator.proxy(request, server: self) { return proxied }
        if !info.isResourceRequest { return try await nonResource(request, info) }
        guard let def = catalog.lookup(group: info.apiGroup, version: info.apiVersion, resource: info.resource) else {
            throw StatusError.notFoundPath()
        }
        if def.isVirtual {
            guard MediaType.negotiate(request.header("accept"), allowsTable: false) != nil else {
                throw StatusError.notAcceptable(MediaType.acceptedMessage)
            }
            if def.group == "authentication.k8s.io" { return try await authenticationReview(request, info, def) }
            return try await accessReview(request, info, def)
        }
        guard let store = store(def.group, def.version, def.resource) else { throw StatusError.notFoundPath() }
        return try await ResourceHandler(server: self, store: store, request: request, info: info).serve()
    }

    func authorize(_ request: APIRequest, _ info: RequestInfo) async throws {
        var attributes = AuthorizationAttributes(user: request.user, info: info)
        if !info.isResourceRequest { attributes.verb = request.method == "HEAD" ? "get" : request.method.lowercased() }
        // As upstream's RequestInfoFactory: a list or watch of one object by field selector is authorized by its name.
        if info.isResourceRequest, info.name.isEmpty, info.verb == "list" || info.verb == "watch",
           let name = Self.exactName(fieldSelector: request.query["fieldSelector"]) {
            attributes.name = name
        }
        switch await authorizer.authorize(attributes) {
        case .allow: return
        case .deny(let reason), .noOpinion(let reason):
            if request.user.isAnonymous { throw StatusError.unauthorized }
            var message = attributes.deniedMessage
            if !reason.isEmpty { message += ": \(reason)" }
            var resource: GroupResource?
            if info.isResourceRequest { resource = GroupResource(group: info.apiGroup, resource: info.resource) }
            throw StatusError.forbidden(message, resource: resource, name: info.name.isEmpty ? nil : info.name)
        }
    }

    /// `metadata.name=x` (or `==`) among a field selector's requirements, when x is a valid path segment.
    static func exactName(fieldSelector: String?) -> String? {
        func trim(_ s: Substring) -> Substring {
            var t = s
            while t.first == " " { t = t.dropFirst() }
            while t.last == " " { t = t.dropLast() }
            return t
        }
        for term in (fieldSelector ?? "").split(separator: ",") {
            let trimmed = trim(term)
            for op in ["==", "="] where trimmed.hasPrefix("metadata.name" + op) {
                let name = trim(trimmed.dropFirst(("metadata.name" + op).count))
                guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.contains("%") else { return nil }
                return String(name)
            }
        }
        return nil
    }

    func nonResource(_ request: APIRequest, _ info: RequestInfo) async throws -> APIResponse {
        let path = request.path.count > 1 && request.path.hasSuffix("/") ? String(request.path.dropLast()) : request.path
        switch path {
        case "/version":
            return .json(KubestrapVersion.versionInfo)
        case "/metrics":
            return .text(metrics.render())
        case "/openapi/v2":
            return openAPI.documents(registry).v2Response(accept: request.header("accept"), ifNoneMatch: request.header("if-none-match"))
        case "/openapi/v3":
            return .json(openAPI.documents(registry).v3Index())
        default:
            break
        }
        for check in ["/healthz", "/livez", "/readyz"] where path == check || path.hasPrefix(check + "/") {
            return await health.serve(endpoint: check, path: path, query: request.query, storage: storage)
        }
        if let discovery = issuerDiscovery?.serve(path: path) { return discovery }
        if path.hasPrefix("/openapi/v3/") {
            let gv = String(path.dropFirst("/openapi/v3/".count))
            guard let doc = openAPI.documents(registry).v3(groupVersionPath: gv) else { throw StatusError.notFoundPath() }
            return APIResponse(status: 200, headers: [("content-type", "application/json")], body: .bytes(doc))
        }
        if let discovery = try Discovery(catalog: catalog, remotes: aggregator.remotes).serve(path: path, accept: request.header("accept")) { return discovery }
        throw StatusError.notFoundPath()
    }
}

extension KubestrapVersion {
    static var versionInfo: JSONValue {
        let parts = gitVersion.dropFirst().split(separator: ".")
        return [
            "major": .string(parts.first.map(String.init) ?? "1"), "minor": .string(parts.count > 1 ? String(parts[1]) : "32"),
            "gitVersion": .string(gitVersion), "gitCommit": .string(gitCommit), "gitTreeState": .string(gitTreeState),
            "buildDate": .string(buildDate),
            "goVersion": "swift6", "compiler": "swiftc", "platform": .string("linux/\(architecture)"),
        ]
    }

}
