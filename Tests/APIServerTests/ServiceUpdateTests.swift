@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// Services as upstream defaults and updates them: targetPort's zero values mean "the port", a spec left as stored is
/// not judged again, and leaving NodePort drops the node ports the update did not ask for.
@Suite struct ServiceUpdateTests {
    static let services = "/api/v1/namespaces/default/services"

    static func service(_ name: String, type: String = "ClusterIP", ports: JSONValue) -> JSONValue {
        ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)], "spec": ["type": .string(type), "ports": ports]]
    }

    @Test func aZeroOrEmptyTargetPortDefaultsToThePort() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", Self.services, Self.service("zero", ports: [
            ["name": "a", "port": 80, "targetPort": 0], ["name": "b", "port": 81, "targetPort": ""], ["name": "c", "port": 82, "targetPort": "http"],
        ]))
        #expect(created.status == 201, "\(created.text)")
        let targets = created.body[path: ["spec", "ports"]]?.array?.map { $0["targetPort"] ?? .null }
        #expect(targets == [80, 81, "http"], "\(created.text)")
    }

    @Test func aServiceStoredWithValuesTodaysRulesRefuseCanStillLoseItsFinalizers() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var old = Self.service("legacy", type: "NodePort", ports: [["port": 80, "targetPort": 8080, "nodePort": 70000, "protocol": "TCP"]])
        old[path: ["metadata", "finalizers"]] = ["example.com/hold"]
        old[path: ["spec", "clusterIP"]] = "10.96.0.50"
        guard let store = s.api.store("", "v1", "services") else { throw TestFailure("no services store") }
        var stored = old
        stored[path: ["metadata", "namespace"]] = "default"
        stored[path: ["metadata", "uid"]] = "legacy-uid"
        stored[path: ["metadata", "creationTimestamp"]] = "2026-01-01T00:00:00Z"
        _ = try await s.api.storage.create(store.definition.key(namespace: "default", name: "legacy"), value: JSONWriter.write(stored))
        let uri = "\(Self.services)/legacy"

        let relabelled = try await s.request("PATCH", uri, ["metadata": ["labels": ["a": "b"]]], contentType: "application/merge-patch+json")
        #expect(relabelled.status == 200, "\(relabelled.text)")
        let status = try await s.request("PATCH", "\(uri)/status", ["status": ["loadBalancer": ["ingress": [["ip": "192.0.2.1"]]]]],
                                         contentType: "application/merge-patch+json")
        #expect(status.status == 200, "\(status.text)")
        let deleting = try await s.request("DELETE", uri)
        #expect(deleting.status == 200, "\(deleting.text)")
        let released = try await s.request("PATCH", uri, ["metadata": ["finalizers": .null]], contentType: "application/merge-patch+json")
        #expect(released.status == 200, "\(released.text)")
        #expect(try await s.request("GET", uri).status == 404)

        // A write that changes the spec is judged in full.
        var again = old
        again[path: ["metadata", "finalizers"]] = nil
        again[path: ["metadata", "name"]] = "legacy2"
        stored = again
        stored[path: ["metadata", "namespace"]] = "default"
        stored[path: ["metadata", "uid"]] = "legacy2-uid"
        stored[path: ["metadata", "creationTimestamp"]] = "2026-01-01T00:00:00Z"
        _ = try await s.api.storage.create(store.definition.key(namespace: "default", name: "legacy2"), value: JSONWriter.write(stored))
        let changed = try await s.request("PATCH", "\(Self.services)/legacy2", ["spec": ["sessionAffinity": "ClientIP"]],
                                          contentType: "application/merge-patch+json")
        #expect(changed.status == 422 && changed.text.contains("spec.ports[0].nodePort: Invalid value: 70000: must be between 1 and 65535, inclusive"), "\(changed.text)")
    }

    @Test func leavingNodePortDropsTheNodePortsTheUpdateDidNotAdd() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", Self.services, Self.service("np", type: "NodePort", ports: [
            ["name": "a", "port": 80, "nodePort": 30080], ["name": "b", "port": 81, "nodePort": 30081],
        ]))
        #expect(created.status == 201, "\(created.text)")
        let uri = "\(Self.services)/np"

        // kubectl edit or patch of the type alone: the allocated node ports come back with the object, and go.
        let clusterIP = try await s.request("PATCH", uri, ["spec": ["type": "ClusterIP"]], contentType: "application/merge-patch+json")
        #expect(clusterIP.status == 200, "\(clusterIP.text)")
        #expect(clusterIP.body[path: ["spec", "ports"]]?.array?.allSatisfy { $0["nodePort"] == nil } == true, "\(clusterIP.text)")
        #expect(clusterIP.body[path: ["spec", "type"]] == "ClusterIP")

        // Asking for a node port of its own while leaving NodePort is still refused, as upstream.
        let back = try await s.request("PATCH", uri, ["spec": ["type": "NodePort", "ports": [["name": "a", "port": 80, "nodePort": 30090]]]],
                                       contentType: "application/merge-patch+json")
        #expect(back.status == 200, "\(back.text)")
        let newPort = try await s.request("PATCH", uri, ["spec": ["type": "ClusterIP", "ports": [["name": "a", "port": 80, "nodePort": 30091]]]],
                                          contentType: "application/merge-patch+json")
        #expect(newPort.status == 422 && newPort.text.contains("may not be used when `type` is 'ClusterIP'"), "\(newPort.text)")
    }
}
