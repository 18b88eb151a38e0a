@testable import APIServer
import KubeJSON
import Testing

/// Node ports from `--service-node-port-range`, as upstream's Service REST allocates them.
@Suite struct ServiceNodePortTests {
    static func service(_ name: String, type: String = "NodePort", nodePort: Int64? = nil, extra: JSONValue = .emptyObject) -> JSONValue {
        var port: JSONValue = ["port": 80, "targetPort": 8080]
        if let nodePort { port["nodePort"] = .int(nodePort) }
        var spec: JSONValue = ["type": .string(type), "selector": ["app": "web"], "ports": [port]]
        for (k, v) in extra.object ?? [:] { spec[k] = v }
        return ["apiVersion": "v1", "kind": "Service", "metadata": ["name": .string(name)], "spec": spec]
    }

    static let services = "/api/v1/namespaces/default/services"

    @Test func nodePortsAreAllocatedInRangeAndNeverTwice() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let made = try await s.request("POST", Self.services, Self.service("auto"))
        #expect(made.status == 201, "\(made.text)")
        let auto = try #require(made.body[path: ["spec", "ports"]]?.array?.first?[path: ["nodePort"]]?.int)
        #expect((30000...32767).contains(auto))
        #expect(try await s.request("POST", Self.services, Self.service("fixed", nodePort: 30080)).body[path: ["spec", "ports"]]?.array?.first?[path: ["nodePort"]] == 30080)
        let taken = try await s.request("POST", Self.services, Self.service("again", nodePort: 30080))
        #expect(taken.status == 422)
        #expect(taken.body["message"] == "Service \"again\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated",
                "\(taken.text)")
        let outside = try await s.request("POST", Self.services, Self.service("low", nodePort: 80))
        #expect(outside.body["message"] == "Service \"low\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767",
                "\(outside.text)")
        // An update keeps it (also when the client leaves it out); a delete frees it.
        var fixed = try await s.request("GET", Self.services + "/fixed").body
        fixed[path: ["spec", "ports"]] = [["port": 80, "targetPort": 8080, "protocol": "TCP"]]
        let updated = try await s.request("PUT", Self.services + "/fixed", fixed)
        #expect(updated.status == 200 && updated.body[path: ["spec", "ports"]]?.array?.first?[path: ["nodePort"]] == 30080, "\(updated.text)")
        #expect(try await s.request("DELETE", Self.services + "/fixed").status == 200)
        #expect(try await s.request("POST", Self.services, Self.service("again", nodePort: 30080)).status == 201)
        // Back to ClusterIP: the node port goes, and is free again.
        var again = try await s.request("GET", Self.services + "/again").body
        again[path: ["spec", "type"]] = "ClusterIP"
        let cluster = try await s.request("PUT", Self.services + "/again", again)
        #expect(cluster.status == 200 && cluster.body[path: ["spec", "ports"]]?.array?.first?[path: ["nodePort"]] == nil, "\(cluster.text)")
        #expect(try await s.request("POST", Self.services, Self.service("third", nodePort: 30080)).status == 201)
        // What is allocated survives a restart.
        let restarted = try await s.restarted()
        defer { Task { await restarted.stop() } }
        let afterRestart = try await restarted.request("POST", Self.services, Self.service("fourth", nodePort: 30080))
        #expect(afterRestart.status == 422, "\(afterRestart.text)")
    }

    @Test func loadBalancersAllocateUnlessToldNotTo() async throws {
        let s = try await TestServer.start { $0.serviceNodePortRange = try #require(PortRange("31000-31001")) }
        defer { Task { await s.stop() } }
        let lb = try await s.request("POST", Self.services, Self.service("lb", type: "LoadBalancer"))
        #expect(lb.body[path: ["spec", "allocateLoadBalancerNodePorts"]] == true)
        #expect([31000, 31001].contains(lb.body[path: ["spec", "ports"]]?.array?.first?[path: ["nodePort"]]?.int ?? 0), "\(lb.text)")
        let none = try await s.request("POST", Self.services, Self.service("lb2", type: "LoadBalancer", extra: ["allocateLoadBalancerNodePorts": false]))
        #expect(none.status == 201 && none.body[path: ["spec", "ports"]]?.array?.first?[path: ["nodePort"]] == nil, "\(none.text)")
        let outside = try await s.request("POST", Self.services, Self.service("np", nodePort: 30080))
        #expect(outside.body["message"]?.string?.hasSuffix("The range of valid ports is 31000-31001") == true, "\(outside.text)")
        #expect(try await s.request("POST", Self.services, Self.service("np")).status == 201)
        let full = try await s.request("POST", Self.services, Self.service("np2"))
        #expect(full.status == 500 && full.body["message"]?.string?.contains("failed to allocate a nodePort") == true, "\(full.text)")
    }

    /// A node port outside a range changed since is kept by an update, as upstream (only new ones are checked).
    @Test func anUpdateKeepsANodePortTheRangeNoLongerHas() async throws {
        let s = try await TestServer.start()
        #expect(try await s.request("POST", Self.services, Self.service("kept", nodePort: 30080)).status == 201)
        let narrowed = try await s.restarted { $0.serviceNodePortRange = try #require(PortRange("31000-31010")) }
        defer { Task { await narrowed.stop() } }
        let changed = try await narrowed.request("PATCH", Self.services + "/kept", ["spec": ["sessionAffinity": "ClientIP"]],
                                                 contentType: "application/merge-patch+json")
        #expect(changed.status == 200 && changed.body[path: ["spec", "ports"]]?.array?.first?["nodePort"] == 30080, "\(changed.text)")
        let added = try await narrowed.request("PATCH", Self.services + "/kept", ["spec": ["ports": [["port": 80, "nodePort": 30080], ["name": "b", "port": 81, "nodePort": 30081]]]],
                                               contentType: "application/strategic-merge-patch+json")
        #expect(added.status == 422 && added.body["message"]?.string?.contains("spec.ports[1].nodePort: Invalid value: 30081: provided port is not in the valid range") == true,
                "\(added.text)")
    }

    @Test func portRangesParseAsTheFlagDoes() {
        #expect(PortRange("30000-32767") == PortRange.defaultNodePorts)
        #expect(PortRange("30000+2767") == PortRange.defaultNodePorts)
        #expect(PortRange("8080")?.description == "8080-8080")
        for bad in ["", "a-b", "32767-30000", "0-10", "60000-70000", "-5"] { #expect(PortRange(bad) == nil, "\(bad)") }
    }
}
