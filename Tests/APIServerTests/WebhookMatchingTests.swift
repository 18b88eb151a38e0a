@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// Which requests a webhook's rules, scope and selectors take in, as upstream's matchers decide.
struct WebhookMatchingTests {
    static let catalog = ResourceCatalog.standard()

    static func attributes(_ resource: String, group: String = "", operation: AdmissionOperation = .create, namespace: String = "",
                           subresource: String = "", labels: [String: String] = [:]) throws -> AdmissionAttributes {
        let def = try #require(catalog.definitions.first { $0.group == group && $0.resource == resource })
        let object: JSONValue = ["metadata": ["name": "x", "labels": .object(labels.mapValues { .string($0) })]]
        var context = RequestContext(user: UserInfo(name: "u", groups: []))
        context.subresource = subresource
        return AdmissionAttributes(operation: operation, resource: def, subresource: subresource,
                                   namespace: resource == "namespaces" ? "x" : namespace, name: "x",
                                   object: object, oldObject: nil, context: context)
    }

    static func rule(_ resources: [String], scope: String? = nil, operations: [String] = ["*"]) -> RuleWithOperations {
        RuleWithOperations(operations: operations, apiGroups: ["*"], apiVersions: ["*"], resources: resources, scope: scope)
    }

    static func matches(_ rule: RuleWithOperations, _ a: AdmissionAttributes) -> Bool {
        WebhookMatching.ruleMatches(rule, a, group: a.resource.group, version: a.resource.version, resource: a.resource.resource)
    }

    @Test func resourcesAndSubresources() throws {
        let pod = try Self.attributes("pods", namespace: "default")
        let status = try Self.attributes("pods", namespace: "default", subresource: "status")
        #expect(Self.matches(Self.rule(["pods"]), pod))
        #expect(!Self.matches(Self.rule(["pods"]), status))
        #expect(Self.matches(Self.rule(["pods/status"]), status))
        #expect(Self.matches(Self.rule(["*"]), pod))
        #expect(!Self.matches(Self.rule(["*"]), status))
        #expect(Self.matches(Self.rule(["*/*"]), status))
        #expect(Self.matches(Self.rule(["*/status"]), status))
        #expect(!Self.matches(Self.rule(["configmaps"]), pod))
        #expect(!Self.matches(Self.rule(["pods"], operations: ["UPDATE", "DELETE"]), pod))
    }

    @Test func scopes() throws {
        let pod = try Self.attributes("pods", namespace: "default")
        let node = try Self.attributes("nodes")
        let namespace = try Self.attributes("namespaces")
        #expect(Self.matches(Self.rule(["*"], scope: "Namespaced"), pod))
        #expect(!Self.matches(Self.rule(["*"], scope: "Namespaced"), node))
        // A Namespace is cluster-scoped although its requests carry its name as their namespace.
        #expect(!Self.matches(Self.rule(["*"], scope: "Namespaced"), namespace))
        #expect(Self.matches(Self.rule(["*"], scope: "Cluster"), namespace))
        #expect(Self.matches(Self.rule(["*"], scope: "Cluster"), node))
        #expect(!Self.matches(Self.rule(["*"], scope: "Cluster"), pod))
    }

    @Test func objectSelectorAndExemptions() throws {
        var hook = AdmissionWebhook(name: "a.b.c")
        hook.rules = [Self.rule(["*"])]
        hook.objectSelector = LabelSelector(matchLabels: ["app": "web"])
        #expect(WebhookMatching.objectSelectorMatches(hook, try Self.attributes("configmaps", namespace: "d", labels: ["app": "web"])))
        #expect(!WebhookMatching.objectSelectorMatches(hook, try Self.attributes("configmaps", namespace: "d", labels: ["app": "db"])))
        let own = try Self.attributes("validatingwebhookconfigurations", group: "admissionregistration.k8s.io")
        #expect(WebhookMatching.isExempt(own))
        #expect(!WebhookMatching.isExempt(try Self.attributes("configmaps", namespace: "d")))
    }

    @Test func deniedAnswersAreWordedAsUpstream() {
        let plain = AdmissionReview.denial(webhook: "w.example.com", status: ["message": "no"])
        #expect(plain.code == 400)
        #expect(plain.message == "admission webhook \"w.example.com\" denied the request: no")
        let silent = AdmissionReview.denial(webhook: "w.example.com", status: nil)
        #expect(silent.message == "admission webhook \"w.example.com\" denied the request without explanation")
        let coded = AdmissionReview.denial(webhook: "w.example.com", status: ["code": 403, "reason": "Forbidden"])
        #expect(coded.code == 403)
        #expect(coded.reason == "Forbidden")
        #expect(coded.message == "admission webhook \"w.example.com\" denied the request: Forbidden")
    }

    @Test func answersAreVerified() throws {
        func verify(_ review: JSONValue, mutating: Bool = false) -> String {
            do {
                _ = try AdmissionReview.verify(review, uid: "123", version: "v1", mutating: mutating)
                return ""
            } catch { return error.description }
        }
        #expect(verify(["apiVersion": "admission.k8s.io/v2", "kind": "AdmissionReview", "response": ["uid": "123", "allowed": true]])
                == "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got admission.k8s.io/v2, Kind=AdmissionReview")
        #expect(verify([:]) == "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind=")
        #expect(verify(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"]) == "response was absent")
        #expect(verify(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": ["uid": "1234", "allowed": true]])
                == "expected response.uid=\"123\", got \"1234\"")
        #expect(verify(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                        "response": ["uid": "123", "allowed": true, "patch": "W10="]]) == "validating webhook may not return response.patch")
        #expect(verify(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                        "response": ["uid": "123", "allowed": true, "patch": "W10="]], mutating: true)
                == "webhook returned response.patch but not response.patchType")
        #expect(verify(["apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": ["uid": "123", "allowed": true]]) == "")
    }
}
