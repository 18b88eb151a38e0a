@testable import APIServer
import KubeJSON
import Testing

/// `pods/ephemeralcontainers`, what `kubectl debug -it pod --image=busybox` patches.
@Suite struct EphemeralContainersTests {
    static let uri = "/api/v1/namespaces/default/pods/target/ephemeralcontainers"

    static func debugger(_ name: String, extra: JSONValue = .emptyObject) -> JSONValue {
        var c: JSONValue = ["name": .string(name), "image": "busybox", "stdin": true, "tty": true, "targetContainerName": "c"]
        for (k, v) in extra.object ?? [:] { c[k] = v }
        return c
    }

    @Test func ephemeralContainersAreAddedButNeverRemovedOrChanged() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", PodBindingTests.pod("target")).status == 201)
        let read = try await s.request("GET", Self.uri)
        #expect(read.status == 200 && read.body["kind"] == "Pod")
        // kubectl debug's strategic merge patch; the labels in the same patch are not this subresource's to change.
        let patch: JSONValue = ["metadata": ["labels": ["x": "y"]], "spec": ["ephemeralContainers": [Self.debugger("debugger-1")]]]
        let added = try await s.request("PATCH", Self.uri, patch, contentType: "application/strategic-merge-patch+json")
        #expect(added.status == 200, "\(added.text)")
        let stored = try #require(added.body[path: ["spec", "ephemeralContainers"]]?.array?.first)
        #expect(stored["name"] == "debugger-1" && stored["terminationMessagePolicy"] == "File" && stored["imagePullPolicy"] == "Always")
        #expect(added.body[path: ["metadata", "labels", "x"]] == nil)
        // A second one joins the first (merged by name).
        let second = try await s.request("PATCH", Self.uri, ["spec": ["ephemeralContainers": [Self.debugger("debugger-2")]]],
                                         contentType: "application/strategic-merge-patch+json")
        #expect(second.status == 200 && second.body[path: ["spec", "ephemeralContainers"]]?.array?.count == 2, "\(second.text)")
        // Removing or changing one is refused with upstream's messages.
        let removed = try await s.request("PATCH", Self.uri, ["spec": ["ephemeralContainers": [Self.debugger("debugger-2")]]],
                                          contentType: "application/merge-patch+json")
        #expect(removed.status == 422)
        #expect(removed.body["message"]?.string?.contains("spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger-1\" may not be removed") == true,
                "\(removed.text)")
        let changed = try await s.request("PATCH", Self.uri, ["spec": ["ephemeralContainers": [["name": "debugger-1", "image": "alpine"]]]],
                                          contentType: "application/strategic-merge-patch+json")
        #expect(changed.status == 422)
        #expect(changed.body["message"]?.string?.contains("spec.ephemeralContainers.debugger-1: Forbidden: existing ephemeral containers \"debugger-1\" may not be changed") == true,
                "\(changed.text)")
        // Not through the pod itself.
        var pod = try await s.request("GET", "/api/v1/namespaces/default/pods/target").body
        pod[path: ["spec", "ephemeralContainers"]] = .array([])
        let update = try await s.request("PUT", "/api/v1/namespaces/default/pods/target", pod)
        #expect(update.status == 422, "\(update.text)")
    }

    @Test func newEphemeralContainersFollowUpstreamRules() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", PodBindingTests.pod("target")).status == 201)
        let bad: [(JSONValue, String)] = [
            (Self.debugger("c"), "spec.ephemeralContainers[0].name: Duplicate value: \"c\""),
            (Self.debugger("d", extra: ["ports": [["containerPort": 80]]]), "spec.ephemeralContainers[0].ports: Forbidden: cannot be set for an Ephemeral Container"),
            (Self.debugger("d", extra: ["readinessProbe": ["exec": ["command": ["true"]]]]),
             "spec.ephemeralContainers[0].readinessProbe: Forbidden: cannot be set for an Ephemeral Container"),
            (Self.debugger("d", extra: ["resources": ["limits": ["cpu": "1"]]]),
             "spec.ephemeralContainers[0].resources: Forbidden: cannot be set for an Ephemeral Container"),
            (Self.debugger("d", extra: ["targetContainerName": "nope"]), "spec.ephemeralContainers[0].targetContainerName: Not found: \"nope\""),
        ]
        for (container, message) in bad {
            let reply = try await s.request("PATCH", Self.uri, ["spec": ["ephemeralContainers": [container]]],
                                            contentType: "application/strategic-merge-patch+json")
            #expect(reply.status == 422 && reply.body["message"]?.string?.contains(message) == true, "\(reply.text)")
        }
        // Empty resources (what kubectl sends) are unset, as Go's zero value.
        let ok = try await s.request("PATCH", Self.uri, ["spec": ["ephemeralContainers": [Self.debugger("d", extra: ["resources": .emptyObject])]]],
                                     contentType: "application/strategic-merge-patch+json")
        #expect(ok.status == 200, "\(ok.text)")
        // Only through the subresource: a pod cannot be created with one.
        var pod = PodBindingTests.pod("born")
        pod[path: ["spec", "ephemeralContainers"]] = [Self.debugger("d")]
        let created = try await s.request("POST", "/api/v1/namespaces/default/pods", pod)
        #expect(created.status == 422 && created.body["message"]?.string?.contains("spec.ephemeralContainers: Forbidden: cannot be set on create") == true,
                "\(created.text)")
        // A static pod has none.
        var mirror = PodBindingTests.pod("static")
        mirror[path: ["metadata", "annotations"]] = ["kubernetes.io/config.mirror": "x"]
        mirror[path: ["spec", "nodeName"]] = "n1"
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", mirror).status == 201)
        let onStatic = try await s.request("PATCH", "/api/v1/namespaces/default/pods/static/ephemeralcontainers",
                                           ["spec": ["ephemeralContainers": [Self.debugger("d")]]], contentType: "application/strategic-merge-patch+json")
        #expect(onStatic.status == 422 && onStatic.body["message"]?.string?.contains("static pods do not support ephemeral containers") == true,
                "\(onStatic.text)")
    }
}
