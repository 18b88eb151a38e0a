import KubeAPI
import KubeJSON
import KubeStorage
import Logging

/// What both webhook plugins share: the configuration cache, the client, and the registry (for the versions a
/// resource is served in, which matchPolicy Equivalent considers).
final class WebhookDispatcher: Sendable {
    let cache: WebhookConfigurationCache
    let client: WebhookClient?
    let storage: any StorageBackend
    let registry: LockedValue<ResourceRegistry?>
    let logger: Logger

    init(cache: WebhookConfigurationCache, transport: (any WebhookTransport)?, storage: any StorageBackend, logger: Logger) {
        self.cache = cache
        self.client = transport.map { WebhookClient(transport: $0, storage: storage) }
        self.storage = storage
        self.registry = LockedValue(nil)
        self.logger = logger
    }

    func attributes(_ operation: AdmissionOperation, _ resource: ResourceDefinition, namespace: String, object: JSONValue?,
                    old: JSONValue?, context: RequestContext) -> AdmissionAttributes {
        let name = (object ?? old)?.metaName ?? ""
        var attributes = AdmissionAttributes(operation: operation, resource: resource, subresource: context.subresource,
                                             namespace: namespace, name: name, object: object, oldObject: old, context: context)
        if attributes.isNamespace { attributes.namespace = name }
        return attributes
    }

    /// The webhooks of `kind` that the request goes to, in order.
    func invocations(_ kind: WebhookConfigurationCache.Kind, _ attributes: AdmissionAttributes) async throws -> [WebhookInvocation] {
        // Subresources with kinds of their own (scale, binding, eviction) would need those kinds built; they are not
        // sent, rather than sent as the parent object.
        guard !WebhookMatching.isExempt(attributes), ["", "status"].contains(attributes.subresource) else { return [] }
        let hooks = await cache.webhooks(kind)
        guard !hooks.isEmpty else { return [] }
        let def = attributes.resource
        let served = registry.value?.catalog.definitions.filter { $0.group == def.group && $0.resource == def.resource } ?? []
        var result: [WebhookInvocation] = []
        for hook in hooks {
            guard let invocation = WebhookMatching.invocation(hook, attributes, servedVersions: served),
                  WebhookMatching.objectSelectorMatches(hook.webhook, attributes),
                  try await WebhookMatching.namespaceSelectorMatches(hook.webhook, attributes, namespaceLabels: namespaceLabels)
            else { continue }
            result.append(invocation)
        }
        return result
    }

    @Sendable func namespaceLabels(_ name: String) async throws -> [String: String]? {
        guard let kv = try await storage.get("/registry/namespaces/\(name)"), let namespace = try? JSONParser.parse(kv.value) else { return nil }
        return namespace.metaLabels
    }

    /// Sends the review and returns the verified answer; a failure to get one is a `WebhookClient.CallError`.
    func call(_ invocation: WebhookInvocation, _ attributes: AdmissionAttributes, mutating: Bool) async throws -> AdmissionReview.Result {
        let hook = invocation.webhook.webhook
        if attributes.context.dryRun {
            guard let sideEffects = hook.sideEffects else { throw WebhookClient.CallError(description: "Webhook SideEffects is nil") }
            guard sideEffects == "None" || sideEffects == "NoneOnDryRun" else {
                throw StatusError.badRequest("admission webhook \"\(hook.name)\" does not support dry run")
            }
        }
        guard let version = AdmissionReview.version(for: hook) else {
            throw WebhookClient.CallError(description: "could not create admission objects: webhook does not accept known AdmissionReview versions")
        }
        guard let client else { throw WebhookClient.CallError(description: "failed to call webhook: this kube-apiserver has no webhook client") }
        let uid = RandomNames.uuid()
        let request = AdmissionReview.request(uid: uid, version: version, attributes: attributes, invocation: invocation)
        let body = try await client.post(hook, body: JSONWriter.write(request))
        let review: JSONValue
        do { review = try JSONParser.parse(body) } catch {
            throw WebhookClient.CallError(description: "failed to call webhook: \(error)")
        }
        let result: AdmissionReview.Result
        do { result = try AdmissionReview.verify(review, uid: uid, version: version, mutating: mutating) } catch {
            throw WebhookClient.CallError(description: "received invalid webhook response: \(error)")
        }
        for warning in result.warnings { attributes.context.warn(warning) }
        if !result.allowed { throw AdmissionReview.denial(webhook: hook.name, status: result.status) }
        return result
    }

    /// A call failure under the webhook's failurePolicy: logged and let through (Ignore), or refused as upstream's
    /// internal error (Fail). Refusals and other errors pass unchanged.
    func applyFailurePolicy(_ error: any Error, _ hook: AdmissionWebhook) throws {
        guard let callError = error as? WebhookClient.CallError else { throw error }
        let message = "failed calling webhook \"\(hook.name)\": \(callError.description)"
        if hook.failurePolicy == "Ignore" {
            logger.warning("Failed calling webhook, failing open \(hook.name): \(message)")
            return
        }
        logger.warning("Failed calling webhook, failing closed \(hook.name): \(message)")
        throw StatusError.internalError(message)
    }
}

/// MutatingAdmissionWebhook: the mutating webhooks in configuration order, each patch applied before the next is
/// called; webhooks with reinvocationPolicy IfNeeded are called once more when a later one changed the object.
struct MutatingAdmissionWebhook: AdmissionPlugin {
    let dispatcher: WebhookDispatcher
    var name: String { "MutatingAdmissionWebhook" }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        let current = operation == .delete ? nil : object
        let first = dispatcher.attributes(operation, resource, namespace: namespace, object: current, old: old, context: context)
        let invocations = try await dispatcher.invocations(.mutating, first)
        guard !invocations.isEmpty else { return }
        var invokedReinvocable: Set<String> = []
        var reinvoke: Set<String> = []
        for invocation in invocations {
            let changed = try await invoke(invocation, operation, resource, namespace, &object, old, context)
            if changed { reinvoke.formUnion(invokedReinvocable) }
            if invocation.webhook.webhook.reinvocationPolicy == "IfNeeded" { invokedReinvocable.insert(invocation.webhook.id) }
        }
        guard !reinvoke.isEmpty else { return }
        // The second round: only webhooks already called, and only those a later change concerned; the object may
        // have changed enough that one of them no longer matches.
        let again = dispatcher.attributes(operation, resource, namespace: namespace, object: object, old: old, context: context)
        for invocation in try await dispatcher.invocations(.mutating, again) where reinvoke.contains(invocation.webhook.id) {
            _ = try await invoke(invocation, operation, resource, namespace, &object, old, context)
        }
    }

    /// Calls one webhook and applies its patch; whether the object changed.
    private func invoke(_ invocation: WebhookInvocation, _ operation: AdmissionOperation, _ resource: ResourceDefinition,
                        _ namespace: String, _ object: inout JSONValue, _ old: JSONValue?, _ context: RequestContext) async throws -> Bool {
        let hook = invocation.webhook.webhook
        let current = operation == .delete ? nil : object
        let attributes = dispatcher.attributes(operation, resource, namespace: namespace, object: current, old: old, context: context)
        let result: AdmissionReview.Result
        do {
            result = try await dispatcher.call(invocation, attributes, mutating: true)
        } catch {
            try dispatcher.applyFailurePolicy(error, hook)
            return false
        }
        guard let patch = result.patch else { return false }
        guard result.patchType == "JSONPatch" else {
            try dispatcher.applyFailurePolicy(WebhookClient.CallError(description: "unsupported patch type \"\(result.patchType ?? "")\""), hook)
            return false
        }
        if let ops = patch.array, ops.isEmpty { return false }
        guard operation != .delete else {
            throw StatusError.internalError("admission webhook \"\(hook.name)\" attempted to modify the object, which is not supported for this operation")
        }
        var patched: JSONValue
        do {
            patched = try JSONPatch.apply(patch, to: AdmissionReview.converted(object, to: invocation.definition))
        } catch {
            throw StatusError.internalError(error.message)
        }
        guard patched.object != nil else {
            throw StatusError.internalError("admission webhook \"\(hook.name)\" returned a patch that does not leave an object")
        }
        patched["apiVersion"] = .string(resource.apiVersion)
        patched["kind"] = .string(resource.kind)
        // A patched object is defaulted again, as upstream decodes it into its type with defaults.
        resource.strategy.applyDefaults(&patched)
        let changed = patched != object
        object = patched
        return changed
    }
}

/// ValidatingAdmissionWebhook: every matching validating webhook, called in parallel on the final object; the
/// first refusal (in configuration order) is the answer.
struct ValidatingAdmissionWebhook: AdmissionPlugin {
    let dispatcher: WebhookDispatcher
    var name: String { "ValidatingAdmissionWebhook" }
    var phase: AdmissionPhase { .validating }

    /// Validating: the object is the generic store's copy; nothing here changes it.
    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        let current = operation == .delete ? nil : object
        let attributes = dispatcher.attributes(operation, resource, namespace: namespace, object: current, old: old, context: context)
        let invocations = try await dispatcher.invocations(.validating, attributes)
        guard !invocations.isEmpty else { return }
        let dispatcher = self.dispatcher
        let failures = await withTaskGroup(of: (Int, (any Error)?).self) { group in
            for (i, invocation) in invocations.enumerated() {
                group.addTask {
                    do {
                        _ = try await dispatcher.call(invocation, attributes, mutating: false)
                        return (i, nil)
                    } catch {
                        do { try dispatcher.applyFailurePolicy(error, invocation.webhook.webhook) } catch { return (i, error) }
                        return (i, nil)
                    }
                }
            }
            var failures: [(Int, any Error)] = []
            for await (i, error) in group { if let error { failures.append((i, error)) } }
            return failures
        }
        if let first = failures.min(by: { $0.0 < $1.0 }) { throw first.1 }
    }
}
