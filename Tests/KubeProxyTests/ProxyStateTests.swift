import KubeJSON
@testable import KubeProxy
import Logging
import Testing

@Suite struct ProxyStateTests {
    let logger = Logger(label: "test.kube-proxy")

    @Test func readinessPicksTheEndpoints() {
        let svc = Fixtures.service("ns", "web", clusterIP: "10.96.0.20", ports: [("http", 80, nil, "TCP")])
        let slice = Fixtures.slice("ns", "web", endpoints: [
            ("10.244.0.1", true, true, false),
            ("10.244.0.2", false, false, false),
            ("10.244.0.3", nil, nil, nil),          // conditions left out: ready
            ("10.244.0.4", false, true, true),      // terminating, still serving
        ], ports: [("http", 8080, "TCP")])
        let state = ProxyState.build(services: [svc], slices: [slice], logger: logger)
        let name = ServicePortName(namespace: "ns", name: "web", port: "http")
        #expect(state.usableEndpoints(name).map(\.description) == ["10.244.0.1:8080", "10.244.0.3:8080"])
        #expect(state.services[name]?.port == 80)
    }

    @Test func terminatingEndpointsServeWhenNoneIsReady() {
        let svc = Fixtures.service("ns", "web", clusterIP: "10.96.0.20", ports: [("", 80, nil, "TCP")])
        let slice = Fixtures.slice("ns", "web", endpoints: [("10.244.0.2", false, false, true), ("10.244.0.4", false, true, true)],
                                   ports: [("", 8080, "TCP")])
        let state = ProxyState.build(services: [svc], slices: [slice], logger: logger)
        #expect(state.usableEndpoints(ServicePortName(namespace: "ns", name: "web", port: "")).map(\.ip) == ["10.244.0.4"])
    }

    @Test func endpointsFromSeveralSlicesCountOnce() {
        let svc = Fixtures.service("ns", "web", clusterIP: "10.96.0.20", ports: [("", 80, nil, "TCP")])
        let a = Fixtures.slice("ns", "web", suffix: "a", endpoints: [("10.244.0.1", false, false, false)], ports: [("", 80, "TCP")])
        let b = Fixtures.slice("ns", "web", suffix: "b", endpoints: Fixtures.ready("10.244.0.1", "10.244.0.2"), ports: [("", 80, "TCP")])
        let state = ProxyState.build(services: [svc], slices: [a, b], logger: logger)
        let endpoints = state.endpoints[ServicePortName(namespace: "ns", name: "web", port: "")] ?? []
        #expect(endpoints.map(\.ip) == ["10.244.0.1", "10.244.0.2"])
        #expect(endpoints.allSatisfy { $0.ready })
    }

    @Test func servicesWithoutAProxiableClusterIPAreSkipped() {
        let headless = Fixtures.service("ns", "headless", clusterIP: "None", ports: [("", 80, nil, "TCP")])
        let external = Fixtures.service("ns", "ext", clusterIP: "", type: "ExternalName", ports: [("", 80, nil, "TCP")])
        let v6 = Fixtures.service("ns", "v6", clusterIP: "fd00::10", ports: [("", 80, nil, "TCP")])
        let v6Slice = Fixtures.slice("ns", "web", addressType: "IPv6", endpoints: Fixtures.ready("fd00::1"), ports: [("", 80, "TCP")])
        let state = ProxyState.build(services: [headless, external, v6], slices: [v6Slice], logger: logger)
        #expect(state.services.isEmpty)
        #expect(state.endpoints.isEmpty)
    }

    @Test func badObjectsAreSkippedNotFatal() {
        let good = Fixtures.service("ns", "web", clusterIP: "10.96.0.20", ports: [("", 80, nil, "TCP")])
        let bad: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "bad", "namespace": "ns"],
                              "spec": ["clusterIP": 12, "ports": "eighty"]]
        let badSlice: JSONValue = ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": ["name": "x", "namespace": "ns"],
                                   "addressType": "IPv4", "endpoints": "nope"]
        let hugePort = Fixtures.service("ns", "huge", clusterIP: "10.96.0.21", ports: [("", 70000, nil, "TCP")])
        let state = ProxyState.build(services: [bad, good, hugePort], slices: [badSlice], logger: logger)
        #expect(Array(state.services.keys) == [ServicePortName(namespace: "ns", name: "web", port: "")])
    }
}
