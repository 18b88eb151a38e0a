@testable import APIServer
import KubeJSON
import Testing

@Suite struct ResourceSemanticsTests {
    @Test func createGetListWithSelectorsAndPaging() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        for i in 0..<5 {
            let r = try await s.request("POST", "/api/v1/namespaces/default/configmaps",
                                        configMap("cm-\(i)", labels: ["tier": i % 2 == 0 ? "even" : "odd"]))
            #expect(r.status == 201, "\(r.text)")
            #expect((r.body[path: ["metadata", "uid"]]?.string ?? "").count == 36)
            #expect(r.body[path: ["metadata", "creationTimestamp"]]?.string?.hasSuffix("Z") == true)
        }
        let even = try await s.request("GET", "/api/v1/namespaces/default/configmaps?labelSelector=tier%3Deven")
        #expect(even.body["items"]?.array?.map(\.metaName) == ["cm-0", "cm-2", "cm-4"])
        let notIn = try await s.request("GET", "/api/v1/namespaces/default/configmaps?labelSelector=tier+notin+(even)")
        #expect(notIn.body["items"]?.array?.count == 2)
        let byName = try await s.request("GET", "/api/v1/configmaps?fieldSelector=metadata.name%3Dcm-3")
        #expect(byName.body["items"]?.array?.map(\.metaNamespace) == ["default"])
        let badField = try await s.request("GET", "/api/v1/configmaps?fieldSelector=spec.nope%3Dx")
        #expect(badField.status == 400 && badField.body["message"]?.string == "field label not supported: spec.nope")

        let page1 = try await s.request("GET", "/api/v1/namespaces/default/configmaps?limit=2")
        #expect(page1.body["items"]?.array?.count == 2)
        #expect(page1.body[path: ["metadata", "remainingItemCount"]]?.int == 3)
        let token = try #require(page1.body[path: ["metadata", "continue"]]?.string)
        let page2 = try await s.request("GET", "/api/v1/namespaces/default/configmaps?limit=2&continue=\(token)")
        #expect(page2.body["items"]?.array?.map(\.metaName) == ["cm-2", "cm-3"])
        #expect(page2.body[path: ["metadata", "resourceVersion"]] == page1.body[path: ["metadata", "resourceVersion"]])

        let missing = try await s.request("GET", "/api/v1/namespaces/default/configmaps/nope")
        #expect(missing.status == 404 && missing.body["message"]?.string == #"configmaps "nope" not found"#)
        #expect(missing.body["reason"]?.string == "NotFound" && missing.body["kind"]?.string == "Status")
        let again = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("cm-0"))
        #expect(again.status == 409 && again.body["reason"]?.string == "AlreadyExists")
    }

    @Test func optimisticConcurrencyAndNoOpUpdates() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("c")).body
        var stale = created
        var fresh = created
        fresh["data"] = ["k": "v2"]
        let updated = try await s.request("PUT", "/api/v1/namespaces/default/configmaps/c", fresh)
        #expect(updated.status == 200)
        #expect(updated.body.metaResourceVersion != created.metaResourceVersion)
        stale["data"] = ["k": "lost"]
        let conflict = try await s.request("PUT", "/api/v1/namespaces/default/configmaps/c", stale)
        #expect(conflict.status == 409)
        #expect(conflict.body["message"]?.string == #"Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again"#)
        // The same content again does not move the resourceVersion.
        let noop = try await s.request("PUT", "/api/v1/namespaces/default/configmaps/c", updated.body)
        #expect(noop.body.metaResourceVersion == updated.body.metaResourceVersion)
    }

    @Test func generateNameAndValidationErrors() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let generated = try await s.request("POST", "/api/v1/namespaces/default/configmaps",
                                            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["generateName": "gen-"]])
        #expect(generated.status == 201 && generated.body.metaName.hasPrefix("gen-") && generated.body.metaName.count == 9)

        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                              "spec": ["containers": [["name": "Bad_Name"]]]]
        let invalid = try await s.request("POST", "/api/v1/namespaces/default/pods", pod)
        #expect(invalid.status == 422 && invalid.body["reason"]?.string == "Invalid")
        let fields = invalid.body[path: ["details", "causes"]]?.array?.compactMap { $0["field"]?.string } ?? []
        #expect(fields == ["spec.containers[0].name", "spec.containers[0].image"])
        #expect(invalid.body["message"]?.string?.hasPrefix(#"Pod "p" is invalid: [spec.containers[0].name: Invalid value: "Bad_Name""#) == true)

        let strict = try await s.request("POST", "/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
                                         ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "x", "bogus": 1]])
        #expect(strict.status == 400 && strict.body["message"]?.string == #"ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.bogus""#)
        let warned = try await s.request("POST", "/api/v1/namespaces/default/configmaps",
                                         ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "x"], "bogus": 1])
        #expect(warned.status == 201 && warned.body["bogus"] == nil)
        #expect(warned.headers.contains { $0.0 == "warning" && $0.1.contains("unknown field") })
        let malformed = try await s.request("POST", "/api/v1/namespaces/default/configmaps", rawBody: Array("{\"a\":".utf8))
        #expect(malformed.status == 400 && malformed.body["kind"]?.string == "Status")
        let noNamespace = try await s.request("POST", "/api/v1/namespaces/nowhere/configmaps", configMap("x"))
        #expect(noNamespace.status == 404 && noNamespace.body["message"]?.string == #"namespaces "nowhere" not found"#)
    }

    @Test func podDefaultsAndGracefulDeletionOfBoundPods() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p"],
                              "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "nginx"]]]]
        let created = try await s.request("POST", "/api/v1/namespaces/default/pods", pod).body
        #expect(created[path: ["spec", "restartPolicy"]]?.string == "Always")
        #expect(created[path: ["spec", "dnsPolicy"]]?.string == "ClusterFirst")
        #expect(created[path: ["spec", "terminationGracePeriodSeconds"]]?.int == 30)
        #expect(created[path: ["spec", "containers"]]?.array?.first?["imagePullPolicy"]?.string == "Always")
        #expect(created[path: ["status", "phase"]]?.string == "Pending")
        let deleting = try await s.request("DELETE", "/api/v1/namespaces/default/pods/p")
        #expect(deleting.status == 200 && deleting.body.metaDeletionTimestamp != nil)
        #expect(deleting.body[path: ["metadata", "deletionGracePeriodSeconds"]]?.int == 30)
        let force = try await s.request("DELETE", "/api/v1/namespaces/default/pods/p?gracePeriodSeconds=0")
        #expect(force.status == 200)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/pods/p").status == 404)
    }

    @Test func finalizersHoldDeletionUntilRemoved() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var cm = configMap("held")
        cm[path: ["metadata", "finalizers"]] = ["example.com/hold"]
        _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", cm)
        let pending = try await s.request("DELETE", "/api/v1/namespaces/default/configmaps/held")
        #expect(pending.status == 200 && pending.body.metaDeletionTimestamp != nil)
        let release = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/held",
                                          ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
        #expect(release.status == 200)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/configmaps/held").status == 404)
    }

    /// Orphan and Foreground propagation, for any kind: the object stays with upstream's finalizer until
    /// kube-controller-manager's garbage collector has handled its dependents and lets go of it; Background (the
    /// default) deletes at once.
    @Test func propagationPoliciesLeaveTheObjectToTheGarbageCollector() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        for (name, policy, finalizer) in [("o", "Orphan", "orphan"), ("f", "Foreground", "foregroundDeletion")] {
            _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap(name))
            let deleted = try await s.request("DELETE", "/api/v1/namespaces/default/configmaps/\(name)",
                                              ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(policy)])
            #expect(deleted.status == 200 && deleted.body.metaDeletionTimestamp != nil, "\(deleted.text)")
            #expect(deleted.body.metaFinalizers == [finalizer])
            let released = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/\(name)",
                                               ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
            #expect(released.status == 200)
            #expect(try await s.request("GET", "/api/v1/namespaces/default/configmaps/\(name)").status == 404)
        }
        _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("b"))
        let background = try await s.request("DELETE", "/api/v1/namespaces/default/configmaps/b",
                                             ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"])
        #expect(background.status == 200)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/configmaps/b").status == 404)
    }

    /// The apiserver's part of deleting a namespace: it turns Terminating, takes nothing new, and goes once its
    /// `kubernetes` finalizer is let go of through `finalize` (what kube-controller-manager's namespace controller
    /// does after emptying it: ControllerManagerTests, and end to end NodeIntegrationTests' ControlPlaneTests).
    @Test func aDeletedNamespaceTerminatesUntilFinalized() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", "/api/v1/namespaces", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": "demo"]])
        #expect(created.body[path: ["spec", "finalizers"]] == ["kubernetes"])
        _ = try await s.request("POST", "/api/v1/namespaces/demo/configmaps", configMap("a"))
        let terminating = try await s.request("DELETE", "/api/v1/namespaces/demo")
        #expect(terminating.body[path: ["status", "phase"]]?.string == "Terminating")
        #expect(try await s.request("GET", "/api/v1/namespaces/demo").status == 200, "held by its finalizer")
        let refused = try await s.request("POST", "/api/v1/namespaces/demo/configmaps", configMap("b"))
        #expect(refused.status == 403, "\(refused.text)")
        #expect(try await s.request("DELETE", "/api/v1/namespaces/demo/configmaps/a").status == 200)
        var finalized = try await s.request("GET", "/api/v1/namespaces/demo").body
        finalized[path: ["spec", "finalizers"]] = []
        #expect(try await s.request("PUT", "/api/v1/namespaces/demo/finalize", finalized).status == 200)
        #expect(try await s.request("GET", "/api/v1/namespaces/demo").status == 404)
        let protected = try await s.request("DELETE", "/api/v1/namespaces/kube-system")
        #expect(protected.status == 403)
    }

    @Test func servicesGetClusterIPsAndTheKubernetesServiceExists() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let kubernetes = try await s.request("GET", "/api/v1/namespaces/default/services/kubernetes")
        #expect(kubernetes.body[path: ["spec", "clusterIP"]]?.string == "10.96.0.1")
        let svc: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "web"],
                              "spec": ["selector": ["app": "web"], "ports": [["port": 80]]]]
        let created = try await s.request("POST", "/api/v1/namespaces/default/services", svc).body
        let ip = created[path: ["spec", "clusterIP"]]?.string ?? ""
        #expect(ip.hasPrefix("10.96.") && ip != "10.96.0.1")
        #expect(created[path: ["spec", "ports"]]?.array?.first?["targetPort"] == .int(80))
        var changed = created
        changed[path: ["spec", "clusterIP"]] = "10.96.9.9"
        #expect(try await s.request("PUT", "/api/v1/namespaces/default/services/web", changed).status == 422)
    }

    @Test func eventsOfBothAPIsAreTheSameObjects() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let event: JSONValue = [
            "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": ["name": "e1"],
            "eventTime": "2026-11-25T07:00:00.000000Z", "reason": "Started", "note": "Started container web", "type": "Normal",
            "regarding": ["kind": "Pod", "name": "web", "namespace": "default"], "reportingController": "kubelet",
            "reportingInstance": "n1", "action": "Start",
        ]
        #expect(try await s.request("POST", "/apis/events.k8s.io/v1/namespaces/default/events", event).status == 201)
        let core = try await s.request("GET", "/api/v1/namespaces/default/events/e1").body
        #expect(core["apiVersion"]?.string == "v1" && core["message"]?.string == "Started container web")
        #expect(core[path: ["involvedObject", "name"]]?.string == "web" && core["reportingComponent"]?.string == "kubelet")
        let selected = try await s.request("GET", "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb")
        #expect(selected.body["items"]?.array?.count == 1)
        let v1 = try await s.request("GET", "/apis/events.k8s.io/v1/namespaces/default/events/e1").body
        #expect(v1["note"]?.string == "Started container web" && v1["message"] == nil)
    }
}
