@testable import APIServer
import APIServerHTTP
import Foundation
import KubeJSON
import NIOCore
import NIOPosix
import Testing

/// Admission webhooks end to end: the apiserver (with the real HTTPS webhook client) calls a webhook server on an
/// ephemeral port whose CA is the configuration's caBundle.
@Suite(.serialized) struct AdmissionWebhookTests {
    static let admin = ServerHarness.admin

    struct Reply {
        let status: Int
        let body: JSONValue
        let headers: [(String, String)]
        var message: String { body["message"]?.string ?? "" }
        func header(_ name: String) -> [String] { headers.filter { $0.0.lowercased() == name }.map(\.1) }
    }

    static func send(_ api: APIServer, _ method: String, _ uri: String, _ body: JSONValue? = nil) async -> Reply {
        let response = await api.handle(APIRequest(method: method, uri: uri, headers: [("content-type", "application/json")],
                                                   body: body.map { JSONWriter.write($0) } ?? [], user: admin))
        var bytes: [UInt8] = []
        if case .bytes(let b) = response.body { bytes = b }
        return Reply(status: response.status, body: (try? JSONParser.parse(bytes)) ?? .null, headers: response.headers)
    }

    static func configMap(_ name: String, labels: [String: String] = [:]) -> JSONValue {
        ["apiVersion": "v1", "kind": "ConfigMap",
         "metadata": ["name": .string(name), "labels": .object(labels.mapValues { .string($0) })], "data": ["a": "b"]]
    }

    static func webhook(_ name: String, url: String, caBundle: String?, failurePolicy: String? = nil,
                        objectLabel: (String, String)? = nil, reinvocation: String? = nil) -> JSONValue {
        var config: JSONValue = ["url": .string(url)]
        if let caBundle { config["caBundle"] = .string(caBundle) }
        var hook: JSONValue = [
            "name": .string(name), "clientConfig": config, "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "rules": [["operations": ["CREATE", "UPDATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["configmaps"]]],
        ]
        if let failurePolicy { hook["failurePolicy"] = .string(failurePolicy) }
        if let reinvocation { hook["reinvocationPolicy"] = .string(reinvocation) }
        if let (key, value) = objectLabel { hook["objectSelector"] = ["matchLabels": [key: .string(value)]] }
        return hook
    }

    static func configuration(_ kind: String, _ name: String, _ hooks: [JSONValue]) -> JSONValue {
        ["apiVersion": "admissionregistration.k8s.io/v1", "kind": .string(kind), "metadata": ["name": .string(name)],
         "webhooks": .array(hooks)]
    }

    static let validating = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
    static let mutating = "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
    static let configMaps = "/api/v1/namespaces/default/configmaps"

    /// The webhook the tests register: denies ConfigMaps labelled deny=true, adds `mutated: yes` on /mutate.
    static func behaviour(_ path: String, _ review: JSONValue) -> (Int, [UInt8]) {
        let labels = review[path: ["request", "object", "metadata", "labels"]]?.object ?? [:]
        if path.hasPrefix("/validate") {
            if labels["deny"]?.string == "true" {
                return WebhookTestServer.answer(review, allowed: false, status: ["code": 403, "message": "configmaps labelled deny=true are not allowed"])
            }
            return WebhookTestServer.answer(review, warnings: ["checked by validate.example.com"])
        }
        if path.hasPrefix("/mutate") {
            if labels["mutated"] != nil { return WebhookTestServer.answer(review) }
            if review[path: ["request", "object", "metadata", "labels"]] == nil {
                return WebhookTestServer.answer(review, patch: [["op": "add", "path": "/metadata/labels", "value": ["mutated": "yes"]]])
            }
            return WebhookTestServer.answer(review, patch: [["op": "add", "path": "/metadata/labels/mutated", "value": "yes"]])
        }
        if path.hasPrefix("/first") || path.hasPrefix("/slow") { return WebhookTestServer.answer(review) }
        if path.hasPrefix("/huge") {
            return (200, Array(repeating: UInt8(ascii: " "), count: 4 * 1024 * 1024) + WebhookTestServer.answer(review).1)
        }
        if path.hasPrefix("/badpatch") {
            return WebhookTestServer.answer(review, patch: [["op": "remove", "path": "/no/such/field"]])
        }
        return (404, Array("not found".utf8))
    }

    /// A loopback port nothing listens on.
    static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 1
        try await channel.close()
        return port
    }

    @Test func validatingAndMutatingWebhooksAreCalled() async throws {
        let hooks = try await WebhookTestServer.start(respond: Self.behaviour)
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop(); await hooks.stop() } }
        let api = harness.api
        let base = "https://127.0.0.1:\(hooks.port)"

        let made = await Self.send(api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "deny", [
            Self.webhook("deny.example.com", url: base + "/validate", caBundle: hooks.caBundle)]))
        #expect(made.status == 201)
        // upstream's v1 defaults.
        let stored = made.body[path: ["webhooks"]]?.array?.first ?? .null
        #expect(stored["failurePolicy"]?.string == "Fail")
        #expect(stored["matchPolicy"]?.string == "Equivalent")
        #expect(stored["timeoutSeconds"]?.int == 10)
        #expect(stored["namespaceSelector"] == .emptyObject)
        #expect(stored["objectSelector"] == .emptyObject)
        #expect(stored[path: ["rules"]]?.array?.first?["scope"]?.string == "*")

        // The cache follows the storage through its watch: poll until the webhook refuses.
        var denied = Reply(status: 0, body: .null, headers: [])
        try await eventually("the validating webhook refuses a ConfigMap labelled deny=true") {
            denied = await Self.send(api, "POST", Self.configMaps, Self.configMap("denied", labels: ["deny": "true"]))
            return denied.status != 201
        }
        #expect(denied.status == 403)
        #expect(denied.message == "admission webhook \"deny.example.com\" denied the request: configmaps labelled deny=true are not allowed")

        let allowed = await Self.send(api, "POST", Self.configMaps, Self.configMap("allowed"))
        #expect(allowed.status == 201)
        #expect(allowed.header("warning") == ["299 - \"checked by validate.example.com\""])

        // What the webhook got: a v1 AdmissionReview describing the request.
        let request = try #require(hooks.received.all.last { $0.path.hasPrefix("/validate") }?.review)
        #expect(request["apiVersion"]?.string == "admission.k8s.io/v1")
        #expect(hooks.received.all.last?.path == "/validate?timeout=10s")
        #expect(request[path: ["request", "kind"]] == ["group": "", "version": "v1", "kind": "ConfigMap"])
        #expect(request[path: ["request", "resource"]] == ["group": "", "version": "v1", "resource": "configmaps"])
        #expect(request[path: ["request", "requestKind"]] == ["group": "", "version": "v1", "kind": "ConfigMap"])
        #expect(request[path: ["request", "operation"]]?.string == "CREATE")
        #expect(request[path: ["request", "namespace"]]?.string == "default")
        #expect(request[path: ["request", "name"]]?.string == "allowed")
        #expect(request[path: ["request", "userInfo", "username"]]?.string == "kubernetes-admin")
        #expect(request[path: ["request", "oldObject"]] == .null)
        #expect(request[path: ["request", "dryRun"]]?.bool == false)
        #expect(request[path: ["request", "options", "kind"]]?.string == "CreateOptions")
        #expect((request[path: ["request", "uid"]]?.string ?? "").count == 36)

        // A mutating webhook's JSON patch is applied before the object is stored.
        let mutatingMade = await Self.send(api, "POST", Self.mutating, Self.configuration("MutatingWebhookConfiguration", "label", [
            Self.webhook("label.example.com", url: base + "/mutate", caBundle: hooks.caBundle)]))
        #expect(mutatingMade.status == 201)
        #expect(mutatingMade.body[path: ["webhooks"]]?.array?.first?["reinvocationPolicy"]?.string == "Never")
        try await eventually("the mutating webhook labels new ConfigMaps") {
            let made = await Self.send(api, "POST", Self.configMaps, ["apiVersion": "v1", "kind": "ConfigMap",
                                                                      "metadata": ["generateName": "mutated-"]])
            return made.body[path: ["metadata", "labels", "mutated"]]?.string == "yes"
        }

        // Requests on the configurations themselves are never sent to webhooks.
        let before = hooks.received.all.count
        let deleted = await Self.send(api, "DELETE", Self.validating + "/deny")
        #expect(deleted.status == 200)
        #expect(hooks.received.all.count == before)
    }

    @Test func failurePolicyDecidesWhenTheWebhookIsDown() async throws {
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop() } }
        let api = harness.api
        let port = try await Self.closedPort()
        let url = "https://127.0.0.1:\(port)/validate"
        let made = await Self.send(api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "down", [
            Self.webhook("ignore.example.com", url: url, caBundle: nil, failurePolicy: "Ignore", objectLabel: ("policy", "ignore")),
            Self.webhook("fail.example.com", url: url, caBundle: nil, failurePolicy: "Fail", objectLabel: ("policy", "fail")),
        ]))
        #expect(made.status == 201)

        var refused = Reply(status: 0, body: .null, headers: [])
        try await eventually("failurePolicy Fail refuses while the webhook is down") {
            refused = await Self.send(api, "POST", Self.configMaps, Self.configMap("fail", labels: ["policy": "fail"]))
            return refused.status != 201
        }
        #expect(refused.status == 500)
        #expect(refused.body["reason"]?.string == "InternalError")
        #expect(refused.message == "Internal error occurred: failed calling webhook \"fail.example.com\": failed to call webhook: Post \"\(url)?timeout=10s\": dial tcp 127.0.0.1:\(port): connect: connection refused")

        let ignored = await Self.send(api, "POST", Self.configMaps, Self.configMap("ignore", labels: ["policy": "ignore"]))
        #expect(ignored.status == 201)
    }

    @Test func untrustedServerAndBadAnswersFailTheCall() async throws {
        let hooks = try await WebhookTestServer.start(respond: Self.behaviour)
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop(); await hooks.stop() } }
        let api = harness.api
        let base = "https://127.0.0.1:\(hooks.port)"
        // No caBundle: the system roots, which do not know the webhook's CA.
        let made = await Self.send(api, "POST", Self.mutating, Self.configuration("MutatingWebhookConfiguration", "checks", [
            Self.webhook("untrusted.example.com", url: base + "/mutate", caBundle: nil, objectLabel: ("check", "untrusted")),
            Self.webhook("badpatch.example.com", url: base + "/badpatch", caBundle: hooks.caBundle, objectLabel: ("check", "badpatch")),
            Self.webhook("missing.example.com", url: base + "/missing", caBundle: hooks.caBundle, objectLabel: ("check", "missing")),
        ]))
        #expect(made.status == 201)
        var untrusted = Reply(status: 0, body: .null, headers: [])
        try await eventually("an untrusted serving certificate fails the call") {
            untrusted = await Self.send(api, "POST", Self.configMaps, Self.configMap("untrusted", labels: ["check": "untrusted"]))
            return untrusted.status != 201
        }
        #expect(untrusted.status == 500)
        #expect(untrusted.message.hasPrefix("Internal error occurred: failed calling webhook \"untrusted.example.com\": failed to call webhook: Post \"\(base)/mutate?timeout=10s\": tls: failed to verify certificate"))

        let missing = await Self.send(api, "POST", Self.configMaps, Self.configMap("missing", labels: ["check": "missing"]))
        #expect(missing.message == "Internal error occurred: failed calling webhook \"missing.example.com\": failed to call webhook: the server could not find the requested resource")

        let badPatch = await Self.send(api, "POST", Self.configMaps, Self.configMap("badpatch", labels: ["check": "badpatch"]))
        #expect(badPatch.status == 500)
        #expect(badPatch.message.hasPrefix("Internal error occurred: "))
    }

    @Test func invalidConfigurationsAreRefusedAsUpstream() async throws {
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop() } }
        var hook = Self.webhook("short", url: "http://example.com/x?a=b", caBundle: nil)
        hook["sideEffects"] = nil
        hook["timeoutSeconds"] = 31
        hook["admissionReviewVersions"] = ["v2"]
        hook[path: ["clientConfig", "service"]] = ["name": "svc", "namespace": "default"]
        let refused = await Self.send(harness.api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "bad", [hook]))
        #expect(refused.status == 422)
        let message = refused.message
        #expect(message.hasPrefix("ValidatingWebhookConfiguration.admissionregistration.k8s.io \"bad\" is invalid: "))
        #expect(message.contains("webhooks[0].name: Invalid value: \"short\": should be a domain with at least three segments separated by dots"))
        #expect(message.contains("webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun"))
        #expect(message.contains("webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds"))
        #expect(message.contains("webhooks[0].clientConfig: Required value: exactly one of url or service is required"))
        #expect(message.contains("webhooks[0].admissionReviewVersions: Invalid value: []string{\"v2\"}: must include at least one of v1, v1beta1"))

        var plain = Self.webhook("a.example.com", url: "http://example.com/x?a=b", caBundle: nil)
        plain["failurePolicy"] = "Sometimes"
        let refusedURL = await Self.send(harness.api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "bad", [plain]))
        #expect(refusedURL.message.contains("webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme"))
        #expect(refusedURL.message.contains("webhooks[0].clientConfig.url: Invalid value: \"a=b\": query parameters are not permitted in the URL"))
        #expect(refusedURL.message.contains("webhooks[0].failurePolicy: Unsupported value: \"Sometimes\": supported values: \"Fail\", \"Ignore\""))
    }

    @Test func aServiceIsCalledAtAReadyEndpoint() async throws {
        let hooks = try await WebhookTestServer.start(respond: Self.behaviour)
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop(); await hooks.stop() } }
        let api = harness.api
        let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "webhook"],
                                  "spec": ["ports": [["name": "https", "port": 443, "targetPort": .int(Int64(hooks.port))]]]]
        #expect(await Self.send(api, "POST", "/api/v1/namespaces/default/services", service).status == 201)
        let endpoints: JSONValue = ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "webhook"],
                                    "subsets": [["addresses": [["ip": "127.0.0.1"]], "ports": [["name": "https", "port": .int(Int64(hooks.port))]]]]]
        #expect(await Self.send(api, "POST", "/api/v1/namespaces/default/endpoints", endpoints).status == 201)
        var byService = Self.webhook("service.example.com", url: "", caBundle: hooks.caBundle, objectLabel: ("via", "service"))
        byService[path: ["clientConfig", "url"]] = nil
        byService[path: ["clientConfig", "service"]] = ["namespace": "default", "name": "webhook", "path": "/validate"]
        var missing = Self.webhook("missing-service.example.com", url: "", caBundle: hooks.caBundle, objectLabel: ("via", "missing"))
        missing[path: ["clientConfig", "url"]] = nil
        missing[path: ["clientConfig", "service"]] = ["namespace": "default", "name": "nothere", "path": "/validate"]
        let made = await Self.send(api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "svc", [byService, missing]))
        #expect(made.status == 201)
        #expect(made.body[path: ["webhooks"]]?.array?.first?[path: ["clientConfig", "service", "port"]]?.int == 443)

        var denied = Reply(status: 0, body: .null, headers: [])
        try await eventually("the webhook behind the Service refuses") {
            denied = await Self.send(api, "POST", Self.configMaps, Self.configMap("svc-denied", labels: ["via": "service", "deny": "true"]))
            return denied.status != 201
        }
        #expect(denied.message == "admission webhook \"service.example.com\" denied the request: configmaps labelled deny=true are not allowed")
        let unresolved = await Self.send(api, "POST", Self.configMaps, Self.configMap("svc-missing", labels: ["via": "missing"]))
        #expect(unresolved.message == "Internal error occurred: failed calling webhook \"missing-service.example.com\": failed to call webhook: Post \"https://nothere.default.svc:443/validate?timeout=10s\": service \"nothere\" not found")
    }

    @Test func ifNeededWebhooksAreReinvokedAfterALaterChange() async throws {
        let hooks = try await WebhookTestServer.start(respond: Self.behaviour)
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop(); await hooks.stop() } }
        let api = harness.api
        let base = "https://127.0.0.1:\(hooks.port)"
        // Configurations run in name order: a-first (IfNeeded, changes nothing) before b-label (adds a label).
        #expect(await Self.send(api, "POST", Self.mutating, Self.configuration("MutatingWebhookConfiguration", "a-first", [
            Self.webhook("first.example.com", url: base + "/first", caBundle: hooks.caBundle, objectLabel: ("app", "reinvoke"),
                         reinvocation: "IfNeeded")])).status == 201)
        #expect(await Self.send(api, "POST", Self.mutating, Self.configuration("MutatingWebhookConfiguration", "b-label", [
            Self.webhook("label.example.com", url: base + "/mutate", caBundle: hooks.caBundle, objectLabel: ("app", "reinvoke"))])).status == 201)
        var n = 0
        try await eventually("both mutating webhooks are called") {
            n += 1
            let made = await Self.send(api, "POST", Self.configMaps, Self.configMap("reinvoke-\(n)", labels: ["app": "reinvoke"]))
            return made.status == 201 && made.body[path: ["metadata", "labels", "mutated"]]?.string == "yes"
                && hooks.received.all.contains { $0.path.hasPrefix("/first") && $0.review[path: ["request", "name"]]?.string == "reinvoke-\(n)" }
        }
        let calls = hooks.received.all.filter { $0.review[path: ["request", "name"]]?.string == "reinvoke-\(n)" }.map(\.path)
        #expect(calls == ["/first?timeout=10s", "/mutate?timeout=10s", "/first?timeout=10s"])
        // The second call sees the label the later webhook added.
        let last = hooks.received.all.last { $0.review[path: ["request", "name"]]?.string == "reinvoke-\(n)" }
        #expect(last?.review[path: ["request", "object", "metadata", "labels", "mutated"]]?.string == "yes")
    }

    @Test func dryRunReachesOnlyWebhooksWithoutSideEffects() async throws {
        let hooks = try await WebhookTestServer.start(respond: Self.behaviour)
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop(); await hooks.stop() } }
        let api = harness.api
        let base = "https://127.0.0.1:\(hooks.port)"
        #expect(await Self.send(api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "clean", [
            Self.webhook("clean.example.com", url: base + "/validate", caBundle: hooks.caBundle, objectLabel: ("dry", "clean"))])).status == 201)
        // A webhook with side effects cannot be created any more (v1 validation), but one stored earlier is still called.
        var effects = Self.webhook("effects.example.com", url: base + "/validate", caBundle: hooks.caBundle, objectLabel: ("dry", "effects"))
        effects["sideEffects"] = "Unknown"
        let refused = await Self.send(api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "effects", [effects]))
        #expect(refused.message.contains("webhooks[0].sideEffects: Unsupported value: \"Unknown\": supported values: \"None\", \"NoneOnDryRun\""))
        var stored = Self.configuration("ValidatingWebhookConfiguration", "effects", [effects])
        stored[path: ["metadata", "uid"]] = "0b2f4c4e-0000-4000-8000-000000000001"
        _ = try await harness.store.create("/registry/validatingwebhookconfigurations/effects", value: JSONWriter.write(stored))

        var dry = Reply(status: 0, body: .null, headers: [])
        try await eventually("a dry run is refused by a webhook with side effects") {
            dry = await Self.send(api, "POST", Self.configMaps + "?dryRun=All", Self.configMap("dry-effects", labels: ["dry": "effects"]))
            return dry.status == 400
        }
        #expect(dry.message == "admission webhook \"effects.example.com\" does not support dry run")
        let clean = await Self.send(api, "POST", Self.configMaps + "?dryRun=All", Self.configMap("dry-clean", labels: ["dry": "clean"]))
        #expect(clean.status == 201)
        let review = hooks.received.all.last { $0.review[path: ["request", "name"]]?.string == "dry-clean" }?.review
        #expect(review?[path: ["request", "dryRun"]]?.bool == true)
        #expect(review?[path: ["request", "options", "dryRun"]] == ["All"])
    }

    @Test func slowAndOversizedAnswersFailTheCall() async throws {
        let hooks = try await WebhookTestServer.start(slowDelay: .seconds(4), respond: Self.behaviour)
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop(); await hooks.stop() } }
        let api = harness.api
        let base = "https://127.0.0.1:\(hooks.port)"
        var slow = Self.webhook("slow.example.com", url: base + "/slow", caBundle: hooks.caBundle, objectLabel: ("answer", "slow"))
        slow["timeoutSeconds"] = 1
        let huge = Self.webhook("huge.example.com", url: base + "/huge", caBundle: hooks.caBundle, objectLabel: ("answer", "huge"))
        #expect(await Self.send(api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "answers", [slow, huge])).status == 201)
        // Both webhooks come with one configuration: once the oversized answer fails a call, the cache has both.
        var oversized = Reply(status: 0, body: .null, headers: [])
        var n = 0
        try await eventually("an answer over 3 MiB fails the call") {
            n += 1
            oversized = await Self.send(api, "POST", Self.configMaps, Self.configMap("huge-\(n)", labels: ["answer": "huge"]))
            return oversized.status != 201
        }
        #expect(oversized.message == "Internal error occurred: failed calling webhook \"huge.example.com\": failed to call webhook: Post \"\(base)/huge?timeout=10s\": response body exceeds the limit of 3145728 bytes")
        let started = Date()
        let timedOut = await Self.send(api, "POST", Self.configMaps, Self.configMap("slow", labels: ["answer": "slow"]))
        #expect(Date().timeIntervalSince(started) < 3.5)
        #expect(timedOut.message == "Internal error occurred: failed calling webhook \"slow.example.com\": failed to call webhook: Post \"\(base)/slow?timeout=1s\": context deadline exceeded")
    }

    @Test func validatingAdmissionPoliciesAreServedNotEnforced() async throws {
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop() } }
        let api = harness.api
        let group = "/apis/admissionregistration.k8s.io/v1"
        let policy: JSONValue = [
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy", "metadata": ["name": "no-deny"],
            "spec": ["matchConstraints": ["resourceRules": [["apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                                              "resources": ["configmaps"]]]],
                     "validations": [["expression": "!has(object.metadata.labels) || !('deny' in object.metadata.labels)"]]],
        ]
        let made = await Self.send(api, "POST", group + "/validatingadmissionpolicies", policy)
        #expect(made.status == 201)
        #expect(made.body[path: ["spec", "failurePolicy"]]?.string == "Fail")
        #expect(made.body[path: ["spec", "matchConstraints", "matchPolicy"]]?.string == "Equivalent")
        let binding: JSONValue = [
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding", "metadata": ["name": "no-deny"],
            "spec": ["policyName": "no-deny", "validationActions": ["Deny"]],
        ]
        #expect(await Self.send(api, "POST", group + "/validatingadmissionpolicybindings", binding).status == 201)
        let missingActions: JSONValue = [
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding", "metadata": ["name": "bad"],
            "spec": ["policyName": "no-deny"],
        ]
        #expect(await Self.send(api, "POST", group + "/validatingadmissionpolicybindings", missingActions).status == 422)
        // Not enforced: the CEL rule would refuse this.
        #expect(await Self.send(api, "POST", Self.configMaps, Self.configMap("policy", labels: ["deny": "true"])).status == 201)

        let table = await api.handle(APIRequest(method: "GET", uri: group + "/validatingadmissionpolicybindings",
                                                headers: [("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")], body: [], user: Self.admin))
        var bytes: [UInt8] = []
        if case .bytes(let b) = table.body { bytes = b }
        let parsed = try JSONParser.parse(bytes)
        #expect(parsed["columnDefinitions"]?.array?.compactMap { $0["name"]?.string } == ["Name", "PolicyName", "ParamRef", "Age"])
        #expect(parsed["rows"]?.array?.first?["cells"]?.array?.prefix(3).map { $0 } == ["no-deny", "no-deny", "<unset>"])
    }

    /// matchPolicy Equivalent: a webhook whose rules name v1 of a custom resource is called for its v2 requests too,
    /// with the object as v1 has it; Exact leaves those out.
    @Test func equivalentVersionsOfACustomResourceReachTheWebhook() async throws {
        let hooks = try await WebhookTestServer.start(respond: Self.behaviour)
        let harness = try await ServerHarness.start(webhooks: WebhookHTTPSClient())
        defer { Task { await harness.stop(); await hooks.stop() } }
        let api = harness.api
        let schema: JSONValue = ["type": "object", "x-kubernetes-preserve-unknown-fields": true]
        let crd: JSONValue = [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "widgets.example.com"],
            "spec": ["group": "example.com", "scope": "Namespaced", "names": ["plural": "widgets", "kind": "Widget"],
                     "versions": [["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": schema]],
                                  ["name": "v2", "served": true, "storage": false, "schema": ["openAPIV3Schema": schema]]]],
        ]
        #expect(await Self.send(api, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201)
        func hook(_ name: String, _ policy: String) -> JSONValue {
            var hook = Self.webhook(name, url: "https://127.0.0.1:\(hooks.port)/validate", caBundle: hooks.caBundle)
            hook["rules"] = [["operations": ["CREATE"], "apiGroups": ["example.com"], "apiVersions": ["v1"], "resources": ["widgets"]]]
            hook["matchPolicy"] = .string(policy)
            return hook
        }
        #expect(await Self.send(api, "POST", Self.validating, Self.configuration("ValidatingWebhookConfiguration", "widgets", [
            hook("equivalent.example.com", "Equivalent"), hook("exact.example.com", "Exact")])).status == 201)
        var n = 0
        try await eventually("the v2 request reaches the Equivalent webhook") {
            n += 1
            let made = await Self.send(api, "POST", "/apis/example.com/v2/namespaces/default/widgets",
                                       ["apiVersion": "example.com/v2", "kind": "Widget", "metadata": ["name": .string("w\(n)")]])
            #expect(made.status == 201)
            return hooks.received.all.contains { $0.review[path: ["request", "name"]]?.string == "w\(n)" }
        }
        let calls = hooks.received.all.filter { $0.review[path: ["request", "name"]]?.string == "w\(n)" }.map(\.review)
        #expect(calls.count == 1)
        let request = try #require(calls.first?["request"])
        #expect(request["kind"] == ["group": "example.com", "version": "v1", "kind": "Widget"])
        #expect(request["requestKind"] == ["group": "example.com", "version": "v2", "kind": "Widget"])
        #expect(request["resource"] == ["group": "example.com", "version": "v1", "resource": "widgets"])
        #expect(request[path: ["object", "apiVersion"]]?.string == "example.com/v1")
    }
}
