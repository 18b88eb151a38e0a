import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct EndpointsTests {
    static func service(_ name: String, selector: [String: String]?, ports: [JSONValue]) -> JSONValue {
        var service: JSONValue = ["apiVersion": "v1", "kind": "Service",
                                  "metadata": ["name": .string(name), "namespace": "default", "labels": ["tier": "front"]],
                                  "spec": ["clusterIP": "10.96.0.20", "ports": .array(ports)]]
        if let selector { service[path: ["spec", "selector"]] = JSONValue(selector) }
        return service
    }

    static let webContainers: [JSONValue] = [["name": "web", "image": "nginx",
                                              "ports": [["name": "http", "containerPort": 8080, "protocol": "TCP"]]]]

    @Test func endpointsListReadyAndNotReadyPodsWithNamedPorts() async throws {
        let h = LifecycleHarness([
            (.services, Self.service("web", selector: ["app": "web"], ports: [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"],
                                                                               ["name": "metrics", "port": 9090, "targetPort": 9100, "protocol": "TCP"]])),
            (.services, Self.service("manual", selector: nil, ports: [["port": 80, "protocol": "TCP"]])),
            (.pods, Fixtures.pod("ready", node: "n1", labels: ["app": "web"], ip: "10.0.0.1", containers: Self.webContainers)),
            (.pods, Fixtures.pod("starting", node: "n2", labels: ["app": "web"], ip: "10.0.0.2", ready: false, containers: Self.webContainers)),
            (.pods, Fixtures.pod("pending", labels: ["app": "web"], phase: "Pending", containers: Self.webContainers)),
            (.pods, Fixtures.pod("done", node: "n1", labels: ["app": "web"], ip: "10.0.0.3", phase: "Succeeded", containers: Self.webContainers)),
            (.pods, Fixtures.pod("other", node: "n1", labels: ["app": "db"], ip: "10.0.0.4", containers: Self.webContainers)),
        ], component: "endpoint-controller")
        let task = h.start(EndpointsController(context: h.context))
        try await eventually("endpoints web") { h.object(.endpoints, "default", "web") != nil }
        let endpoints = try #require(h.object(.endpoints, "default", "web"))
        let subsets = endpoints["subsets"]?.array ?? []
        try #require(subsets.count == 1, "\(endpoints)")
        let subset = subsets[0]
        #expect(subset["addresses"]?.array?.compactMap { $0["ip"]?.string } == ["10.0.0.1"])
        #expect(subset["notReadyAddresses"]?.array?.compactMap { $0["ip"]?.string } == ["10.0.0.2"])
        let address = subset["addresses"]?.array?.first
        #expect(address?["nodeName"]?.string == "n1")
        #expect(address?["targetRef"]?["kind"]?.string == "Pod")
        #expect(address?["targetRef"]?["name"]?.string == "ready")
        #expect(address?["targetRef"]?["uid"]?.string?.isEmpty == false)
        let ports = (subset["ports"]?.array ?? []).map { ($0["name"]?.string ?? "", $0["port"]?.int ?? 0) }
        #expect(ports.map(\.0) == ["http", "metrics"])
        #expect(ports.map(\.1) == [8080, 9100])
        #expect(endpoints[path: ["metadata", "labels", "tier"]]?.string == "front")
        #expect(endpoints[path: ["metadata", "annotations", "endpoints.kubernetes.io/last-change-trigger-time"]]?.string != nil)
        #expect(h.object(.endpoints, "default", "manual") == nil, "a Service without a selector is left alone")

        // The starting pod becomes ready: both addresses are ready.
        try await h.setStatus(.pods, "default", "starting") { pod in
            pod[path: ["status", "conditions"]] = [["type": "Ready", "status": "True", "lastTransitionTime": "2026-05-28T20:30:00Z"]]
        }
        try await eventually("both addresses ready") {
            let subset = h.object(.endpoints, "default", "web")?["subsets"]?.array?.first
            return subset?["addresses"]?.array?.count == 2 && subset?["notReadyAddresses"] == nil
        }
        #expect(h.object(.endpoints, "default", "web")?[path: ["metadata", "annotations", "endpoints.kubernetes.io/last-change-trigger-time"]]?.string
                == "2026-05-28T20:30:00Z")

        try await h.client.delete(.services, namespace: "default", name: "web")
        try await eventually("endpoints deleted with the service") { h.object(.endpoints, "default", "web") == nil }
        await h.stop(task)
    }

    @Test func aPodWithoutTheNamedPortIsLeftOut() async throws {
        let h = LifecycleHarness([
            (.services, Self.service("web", selector: ["app": "web"], ports: [["port": 80, "targetPort": "http", "protocol": "TCP"]])),
            (.pods, Fixtures.pod("named", node: "n1", labels: ["app": "web"], ip: "10.0.0.1", containers: Self.webContainers)),
            (.pods, Fixtures.pod("unnamed", node: "n1", labels: ["app": "web"], ip: "10.0.0.2")),
        ])
        let task = h.start(EndpointsController(context: h.context))
        try await eventually("endpoints web") { h.object(.endpoints, "default", "web") != nil }
        let subsets = h.object(.endpoints, "default", "web")?["subsets"]?.array ?? []
        #expect(subsets.count == 1)
        #expect(subsets.first?["addresses"]?.array?.compactMap { $0["ip"]?.string } == ["10.0.0.1"])
        #expect(subsets.first?["ports"]?.array?.first?["port"]?.int == 8080)
        #expect(subsets.first?["ports"]?.array?.first?["name"] == nil)
        await h.stop(task)
    }
}
