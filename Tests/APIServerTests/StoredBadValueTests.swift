@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// An update may carry along a bad value an older binary stored, but only that value, in that place: the rest of the
/// object is pruned and checked as any write is, and the bad value may not be copied, moved or changed.
@Suite struct StoredBadValueTests {
    static let replicaSets = "/apis/apps/v1/namespaces/default/replicasets"

    /// PUTs the object as `change` makes it from a fresh read; a 409 from another write in between is retried.
    static func put(_ s: TestServer, _ uri: String, _ change: (inout JSONValue) -> Void) async throws -> TestServer.Reply {
        for _ in 0..<50 {
            var object = try await s.request("GET", uri).body
            change(&object)
            let reply = try await s.request("PUT", uri, object)
            if reply.status != 409 { return reply }
        }
        throw TestFailure("PUT \(uri) kept conflicting")
    }

    static func port(_ value: JSONValue) -> JSONValue { ["containerPort": value] }

    /// Gives container `i` of the template these container ports.
    static func setPorts(_ object: inout JSONValue, _ i: Int, _ ports: [JSONValue]) {
        let path = ["spec", "template", "spec", "containers"]
        guard var containers = object[path: path]?.array, containers.indices.contains(i) else { return }
        containers[i]["ports"] = .array(ports.map(port))
        object[path: path] = .array(containers)
    }

    @Test func aToleratedBadValueDoesNotKeepTheRestOfTheBodyFromBeingPruned() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var rs = WorkloadFixtures.replicaSet("pruned", replicas: 0)
        // A fraction in an int32 field sorts before the fields the patches below add.
        rs[path: ["spec", "minReadySeconds"]] = .double(1.5)
        try await StoredObjectSafetyTests.storeRaw(s, "apps", "replicasets", rs)
        let uri = "\(Self.replicaSets)/pruned"

        // An unknown field is dropped (and warned about), not stored.
        let patched = try await s.request("PATCH", uri, ["metadata": ["labels": ["a": "b"]], "spec": ["foo": "x"]],
                                          contentType: "application/merge-patch+json")
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.headers.contains { $0.0 == "warning" && $0.1.contains("unknown field \\\"spec.foo\\\"") }, "\(patched.headers)")
        let stored = try await s.request("GET", uri).body
        #expect(stored[path: ["spec", "foo"]] == nil, "\(JSONWriter.string(stored))")
        #expect(stored[path: ["metadata", "labels", "a"]] == "b")
        #expect(stored[path: ["spec", "minReadySeconds"]] == .double(1.5), "the store's own value stays as it was")

        // Strict sees unknown fields after the tolerated one too.
        let strict = try await s.request("PATCH", "\(uri)?fieldValidation=Strict", ["spec": ["zzz": 1]],
                                         contentType: "application/merge-patch+json")
        #expect(strict.status == 400 && strict.text.contains("unknown field \\\"spec.zzz\\\""), "\(strict.text)")

        // An integral double the patch adds is stored as the integer it is.
        let body = #"{"spec":{"template":{"spec":{"terminationGracePeriodSeconds":1e16}}}}"#
        let whole = try await s.request("PATCH", uri, contentType: "application/merge-patch+json", rawBody: Array(body.utf8))
        #expect(whole.status == 200, "\(whole.text)")
        let normalised = try await s.request("GET", uri).body
        #expect(normalised[path: ["spec", "template", "spec", "terminationGracePeriodSeconds"]] == .int(10_000_000_000_000_000),
                "\(JSONWriter.string(normalised[path: ["spec", "template", "spec"]] ?? .null))")

        // PUT goes the same way.
        let replaced = try await Self.put(s, uri) { $0[path: ["spec", "bar"]] = "y" }
        #expect(replaced.status == 200, "\(replaced.text)")
        #expect(try await s.request("GET", uri).body[path: ["spec", "bar"]] == nil)
    }

    @Test func aStoredBadValueMayNotBeCopiedMovedOrChanged() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let bad = JSONValue.int(70_000_000_000)
        var rs = WorkloadFixtures.replicaSet("ports", replicas: 0)
        rs[path: ["spec", "template", "spec", "containers"]] = [
            ["name": "a", "image": "busybox:1.36", "ports": [Self.port(bad)]],
            ["name": "b", "image": "busybox:1.36", "ports": [Self.port(80)]],
        ]
        rs[path: ["spec", "minReadySeconds"]] = "soon"
        try await StoredObjectSafetyTests.storeRaw(s, "apps", "replicasets", rs)
        let uri = "\(Self.replicaSets)/ports"
        let containers = ["spec", "template", "spec", "containers"]
        let portError = "ContainerPort.spec.template.spec.containers.ports.containerPort of type int32"

        // Copied into another container, or into another port of the same one.
        let copied = try await Self.put(s, uri) { Self.setPorts(&$0, 1, [bad]) }
        #expect(copied.status == 400 && copied.text.contains(portError), "\(copied.text)")
        let twice = try await Self.put(s, uri) { Self.setPorts(&$0, 0, [bad, bad]) }
        #expect(twice.status == 400 && twice.text.contains(portError), "\(twice.text)")
        // Moved to the other container.
        let moved = try await Self.put(s, uri) {
            Self.setPorts(&$0, 0, [80])
            Self.setPorts(&$0, 1, [bad])
        }
        #expect(moved.status == 400 && moved.text.contains(portError), "\(moved.text)")
        // Another bad number in its place, or another wrong-typed value.
        let changed = try await Self.put(s, uri) { Self.setPorts(&$0, 0, [.int(80_000_000_000)]) }
        #expect(changed.status == 400 && changed.text.contains("number 80000000000"), "\(changed.text)")
        let retyped = try await Self.put(s, uri) { $0[path: ["spec", "minReadySeconds"]] = "later" }
        #expect(retyped.status == 400 && retyped.text.contains("ReplicaSetSpec.spec.minReadySeconds of type int32"), "\(retyped.text)")

        // Left where they are, they are the store's own: the update goes through.
        let relabelled = try await Self.put(s, uri) { $0[path: ["metadata", "labels"]] = ["touched": "yes"] }
        #expect(relabelled.status == 200, "\(relabelled.text)")
        // And fixing one of them leaves the other tolerated.
        let fixed = try await Self.put(s, uri) { Self.setPorts(&$0, 0, [8080]) }
        #expect(fixed.status == 200, "\(fixed.text)")
        let stored = try await s.request("GET", uri).body
        let firstPort = stored[path: containers]?.array?.first?["ports"]?.array?.first?["containerPort"]
        #expect(firstPort == 8080 && stored[path: ["spec", "minReadySeconds"]] == "soon", "\(JSONWriter.string(stored))")
    }
}
