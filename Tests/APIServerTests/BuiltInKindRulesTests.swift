@testable import APIServer
import KubeJSON
import Testing

/// Smaller upstream rules kubectl relies on: strategic merge patch for every built-in kind, 406 for a Table where
/// none exists, NetworkPolicy defaults, the Event field selectors of both Event APIs.
@Suite struct BuiltInKindRulesTests {
    @Test func strategicMergePatchWorksForEveryBuiltInKind() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let pc: JSONValue = ["apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": ["name": "high"], "value": 1000]
        #expect(try await s.request("POST", "/apis/scheduling.k8s.io/v1/priorityclasses", pc).status == 201)
        let patched = try await s.request("PATCH", "/apis/scheduling.k8s.io/v1/priorityclasses/high",
                                          ["metadata": ["labels": ["tier": "gold"]], "description": "important"],
                                          contentType: "application/strategic-merge-patch+json")
        #expect(patched.status == 200 && patched.body[path: ["metadata", "labels", "tier"]] == "gold" && patched.body["description"] == "important",
                "\(patched.text)")
        // A custom resource does not take one: upstream's CRD handler does not list it.
        #expect(try await s.request("POST", CustomResourceTests.crds, CustomResourceTests.crd()).status == 201)
        try await CustomResourceTests().established(s, "crontabs.stable.example.com")
        #expect(try await s.request("POST", CustomResourceTests.cronTabs, CustomResourceTests.cronTab("c1", ["cronSpec": "* * * * *"])).status == 201)
        let custom = try await s.request("PATCH", CustomResourceTests.cronTabs + "/c1", ["spec": ["image": "x"]],
                                         contentType: "application/strategic-merge-patch+json")
        #expect(custom.status == 415 && custom.body["reason"] == "UnsupportedMediaType")
        #expect(custom.body["message"] == "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml",
                "\(custom.text)")
    }

    @Test func aTableFromAnAccessReviewIsNotAcceptable() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let review: JSONValue = ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                                 "spec": ["resourceAttributes": ["verb": "get", "resource": "pods"]]]
        let uri = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
        let table = try await s.request("POST", uri, review, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        #expect(table.status == 406 && table.body["reason"] == "NotAcceptable", "\(table.text)")
        #expect(table.body["message"] == "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf")
        // kubectl's Accept offers JSON after the Table: that is answered.
        let fallback = try await s.request("POST", uri, review, accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
        #expect(fallback.status == 201 && fallback.body[path: ["status", "allowed"]] == true, "\(fallback.text)")
    }

    @Test func networkPolicyTypesDefaultAsUpstream() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let uri = "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies"
        func policy(_ name: String, _ spec: JSONValue) -> JSONValue {
            ["apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": ["name": .string(name)], "spec": spec]
        }
        let ingress = try await s.request("POST", uri, policy("in", ["podSelector": .emptyObject, "ingress": [["ports": [["port": 80]]]]]))
        #expect(ingress.body[path: ["spec", "policyTypes"]] == ["Ingress"], "\(ingress.text)")
        #expect(ingress.body[path: ["spec", "ingress"]]?.array?.first?[path: ["ports"]]?.array?.first?["protocol"] == "TCP")
        let both = try await s.request("POST", uri, policy("both", ["podSelector": .emptyObject, "egress": [.emptyObject]]))
        #expect(both.body[path: ["spec", "policyTypes"]] == ["Ingress", "Egress"], "\(both.text)")
        let given = try await s.request("POST", uri, policy("given", ["podSelector": .emptyObject, "policyTypes": ["Egress"]]))
        #expect(given.body[path: ["spec", "policyTypes"]] == ["Egress"], "\(given.text)")
        let bad = try await s.request("POST", uri, policy("bad", ["podSelector": .emptyObject, "policyTypes": ["Sideways"]]))
        #expect(bad.status == 422 && bad.body["message"]?.string?.contains("spec.policyTypes[0]: Unsupported value: \"Sideways\"") == true, "\(bad.text)")
    }

    @Test func eventsSelectByTheFieldsUpstreamOffers() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let core: JSONValue = ["apiVersion": "v1", "kind": "Event", "metadata": ["name": "e1"], "reason": "Created", "type": "Normal",
                               "involvedObject": ["kind": "Pod", "name": "web", "namespace": "default", "uid": "u1"],
                               "source": ["component": "kubelet"], "message": "Created container"]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/events", core).status == 201)
        let v1: JSONValue = ["apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "e2"], "reason": "Scheduled", "type": "Normal",
                             "regarding": ["kind": "Pod", "name": "web", "namespace": "default", "uid": "u1"], "note": "Assigned",
                             "reportingController": "default-scheduler", "reportingInstance": "s1", "action": "Binding",
                             "eventTime": "2026-01-01T00:00:00.000000Z"]
        let made = try await s.request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", v1)
        #expect(made.status == 201, "\(made.text)")
        func names(_ uri: String) async throws -> [String] {
            let reply = try await s.request("GET", uri)
            return (reply.body["items"]?.array ?? []).map(\.metaName).sorted()
        }
        let coreURI = "/api/v1/namespaces/default/events?fieldSelector="
        #expect(try await names(coreURI + "reason%3DCreated,type%3DNormal,involvedObject.kind%3DPod") == ["e1"])
        #expect(try await names(coreURI + "source%3Dkubelet") == ["e1"])
        #expect(try await names(coreURI + "source%3Ddefault-scheduler") == ["e2"], "the reporting controller stands for the source")
        #expect(try await names(coreURI + "involvedObject.uid%3Du1") == ["e1", "e2"])
        let v1URI = "/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector="
        #expect(try await names(v1URI + "regarding.uid%3Du1,reason%3DCreated") == ["e1"])
        #expect(try await names(v1URI + "reportingController%3Ddefault-scheduler") == ["e2"])
        // One store: written through one API, read through the other.
        let asCore = try await s.request("GET", "/api/v1/namespaces/default/events/e2")
        #expect(asCore.body["message"] == "Assigned" && asCore.body[path: ["involvedObject", "name"]] == "web", "\(asCore.text)")
    }

    /// `kubectl delete cm --all-namespaces -l x=y` lists across namespaces and deletes one by one; a collection
    /// DELETE across namespaces is not served, as upstream.
    @Test func deletingAcrossNamespacesIsOneByOne() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        for ns in ["a1", "a2"] {
            #expect(try await s.request("POST", "/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]]).status == 201)
            let cm: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "c", "labels": ["x": "y"]]]
            #expect(try await s.request("POST", "/api/v1/namespaces/\(ns)/configmaps", cm).status == 201)
        }
        let collection = try await s.request("DELETE", "/api/v1/configmaps?labelSelector=x%3Dy")
        #expect(collection.status == 405 && collection.body["reason"] == "MethodNotAllowed", "\(collection.text)")
        #expect(collection.body["message"] == "the server does not allow this method on the requested resource")
        let listed = try await s.request("GET", "/api/v1/configmaps?labelSelector=x%3Dy")
        #expect(listed.body["items"]?.array?.count == 2)
        for item in listed.body["items"]?.array ?? [] {
            #expect(try await s.request("DELETE", "/api/v1/namespaces/\(item.metaNamespace)/configmaps/\(item.metaName)").status == 200)
        }
        #expect(try await s.request("GET", "/api/v1/configmaps?labelSelector=x%3Dy").body["items"]?.array?.isEmpty == true)
    }
}
