import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct EndpointSliceTests {
    static func service(_ name: String, selector: [String: String]?, ports: [JSONValue]) -> JSONValue {
        var service = EndpointsTests.service(name, selector: selector, ports: ports)
        service[path: ["spec", "ipFamilies"]] = ["IPv4"]
        return service
    }

    static func node(_ name: String, zone: String? = nil) -> JSONValue {
        var node = Fixtures.node(name)
        if let zone { node[path: ["metadata", "labels"]] = ["topology.kubernetes.io/zone": .string(zone)] }
        return node
    }

    static func slices(_ h: LifecycleHarness, _ service: String) -> [JSONValue] {
        h.client.objects(.endpointSlices, namespace: "default").filter {
            $0[path: ["metadata", "labels", "kubernetes.io/service-name"]]?.string == service
        }
    }

    /// Every endpoint of the Service's slices, by pod name.
    static func endpoints(_ h: LifecycleHarness, _ service: String) -> [String: JSONValue] {
        var all: [String: JSONValue] = [:]
        for slice in slices(h, service) {
            for endpoint in slice["endpoints"]?.array ?? [] { all[endpoint[path: ["targetRef", "name"]]?.string ?? ""] = endpoint }
        }
        return all
    }

    @Test func readyAndNotReadyPodsWithNamedPort() async throws {
        let h = LifecycleHarness([
            (.nodes, Self.node("n1", zone: "zone-a")), (.nodes, Self.node("n2")),
            (.services, Self.service("web", selector: ["app": "web"], ports: [["name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"]])),
            (.pods, Fixtures.pod("ready", node: "n1", labels: ["app": "web"], ip: "10.0.0.1", containers: EndpointsTests.webContainers)),
            (.pods, Fixtures.pod("starting", node: "n2", labels: ["app": "web"], ip: "10.0.0.2", ready: false, containers: EndpointsTests.webContainers)),
            (.pods, Fixtures.pod("pending", labels: ["app": "web"], phase: "Pending", containers: EndpointsTests.webContainers)),
            (.pods, Fixtures.pod("done", node: "n1", labels: ["app": "web"], ip: "10.0.0.3", phase: "Succeeded", containers: EndpointsTests.webContainers)),
            (.pods, Fixtures.pod("other", node: "n1", labels: ["app": "db"], ip: "10.0.0.4", containers: EndpointsTests.webContainers)),
        ], component: "endpoint-slice-controller")
        let task = h.start(EndpointSliceController(context: h.context))
        try await eventually("slice of web with two endpoints") { Self.endpoints(h, "web").count == 2 }
        let slices = Self.slices(h, "web")
        try #require(slices.count == 1, "\(slices)")
        let slice = slices[0]
        #expect(slice.name.hasPrefix("web-"))
        #expect(slice[path: ["metadata", "generateName"]]?.string == "web-")
        #expect(slice["addressType"]?.string == "IPv4")
        #expect(slice.labels["endpointslice.kubernetes.io/managed-by"] == "endpointslice-controller.k8s.io")
        #expect(slice.labels["tier"] == "front", "the Service's labels are copied")
        let owner = slice[path: ["metadata", "ownerReferences"]]?.array?.first
        #expect(owner?["kind"]?.string == "Service")
        #expect(owner?["name"]?.string == "web")
        #expect(owner?["uid"]?.string == h.object(.services, "default", "web")?.uid)
        #expect(owner?["controller"]?.bool == true)
        #expect(owner?["blockOwnerDeletion"]?.bool == true)
        #expect(slice["ports"] == [["name": "http", "port": 8080, "protocol": "TCP"]])
        // The earliest change the first sync carries (the Service's creation or a pod's).
        #expect(slice[path: ["metadata", "annotations", "endpoints.kubernetes.io/last-change-trigger-time"]]?.string != nil)

        let endpoints = Self.endpoints(h, "web")
        let ready = try #require(endpoints["ready"])
        #expect(ready["addresses"] == ["10.0.0.1"])
        #expect(ready["conditions"] == ["ready": true, "serving": true, "terminating": false])
        #expect(ready["nodeName"]?.string == "n1")
        #expect(ready["zone"]?.string == "zone-a")
        #expect(ready[path: ["targetRef", "kind"]]?.string == "Pod")
        #expect(ready[path: ["targetRef", "uid"]]?.string == h.object(.pods, "default", "ready")?.uid)
        let starting = try #require(endpoints["starting"])
        #expect(starting["conditions"] == ["ready": false, "serving": false, "terminating": false])
        #expect(starting["zone"] == nil, "node n2 has no zone label")

        // The starting pod becomes ready: the same slice is updated in place.
        try await h.setStatus(.pods, "default", "starting") { pod in
            pod[path: ["status", "conditions"]] = [["type": "Ready", "status": "True", "lastTransitionTime": "2026-05-28T20:30:00Z"]]
        }
        try await eventually("both endpoints ready") {
            Self.endpoints(h, "web")["starting"]?[path: ["conditions", "ready"]]?.bool == true
        }
        #expect(Self.slices(h, "web").map(\.name) == [slice.name])

        // The Service goes: so do its slices.
        try await h.client.delete(.services, namespace: "default", name: "web")
        try await eventually("slices deleted with the service") { Self.slices(h, "web").isEmpty }
        await h.stop(task)
    }

    @Test func selectorChangeMovesEndpointsAndServicesWithoutSelectorAreIgnored() async throws {
        let h = LifecycleHarness([
            (.nodes, Self.node("n1")),
            (.services, Self.service("web", selector: ["app": "a"], ports: [["port": 80, "targetPort": 9376, "protocol": "TCP"]])),
            (.services, Self.service("manual", selector: nil, ports: [["port": 80, "protocol": "TCP"]])),
            (.pods, Fixtures.pod("a1", node: "n1", labels: ["app": "a"], ip: "10.0.0.1")),
            (.pods, Fixtures.pod("b1", node: "n1", labels: ["app": "b"], ip: "10.0.0.2")),
            (.pods, Fixtures.pod("b2", node: "n1", labels: ["app": "b"], ip: "10.0.0.3")),
        ])
        let task = h.start(EndpointSliceController(context: h.context))
        try await eventually("a1 in web's slice") { Set(Self.endpoints(h, "web").keys) == ["a1"] }
        let first = Self.slices(h, "web").map(\.name)
        #expect(Self.slices(h, "web").first?["ports"] == [["name": "", "port": 9376, "protocol": "TCP"]])

        var service = try await h.client.get(.services, namespace: "default", name: "web")
        service[path: ["spec", "selector"]] = ["app": "b"]
        _ = try await h.client.update(.services, service)
        try await eventually("b pods in web's slice") { Set(Self.endpoints(h, "web").keys) == ["b1", "b2"] }
        #expect(Self.slices(h, "web").map(\.name) == first, "the slice is updated in place")
        #expect(Self.slices(h, "manual").isEmpty, "a Service without a selector gets no slices from the controller")
        await h.stop(task)
    }

    @Test func aServiceWithoutEndpointsKeepsOnePlaceholderAndSlicesHoldAtMostTheLimit() async throws {
        var options = ControllerManagerOptions()
        options.maxEndpointsPerSlice = 2
        let pods = (1...5).map { Fixtures.pod("p\($0)", node: "n1", labels: ["app": "many"], ip: "10.0.1.\($0)") }
        let h = LifecycleHarness([
            (.nodes, Self.node("n1")),
            (.services, Self.service("empty", selector: ["app": "none"], ports: [["port": 80, "protocol": "TCP"]])),
            (.services, Self.service("many", selector: ["app": "many"], ports: [["port": 80, "protocol": "TCP"]])),
        ] + pods.map { (.pods, $0) }, options: options)
        let task = h.start(EndpointSliceController(context: h.context))
        try await eventually("placeholder for empty") { Self.slices(h, "empty").count == 1 }
        let placeholder = Self.slices(h, "empty")[0]
        #expect((placeholder["endpoints"]?.array ?? []).isEmpty)
        #expect((placeholder["ports"]?.array ?? []).isEmpty)
        try await eventually("five endpoints of many") { Self.endpoints(h, "many").count == 5 }
        let counts = Self.slices(h, "many").map { $0["endpoints"]?.array?.count ?? 0 }.sorted()
        #expect(counts == [1, 2, 2], "\(counts)")

        // Pods go: their endpoints go, and slices left empty are deleted down to what is needed.
        for i in 1...4 { try await h.client.delete(.pods, namespace: "default", name: "p\(i)") }
        try await eventually("one endpoint left in one slice") {
            Self.endpoints(h, "many").count == 1 && Self.slices(h, "many").count == 1
        }
        await h.stop(task)
    }

    @Test func planFillsExistingSlicesBeforeMakingNew() throws {
        let service = try Service(json: Self.service("web", selector: ["app": "web"], ports: []))
        var existing = EndpointSliceObjects.newSlice(service: service, addressType: "IPv4", ports: [], endpoints: [],
                                                     labels: EndpointSliceObjects.labels(for: service))
        existing.metadata.name = "web-aaaaa"
        var desired = DesiredEndpoints(service: service, pods: [], nodes: ObjectCache())
        let endpoints = (1...3).map { Endpoint(addresses: ["10.0.0.\($0)"], targetRef: ObjectReference(uid: "u\($0)")) }
        desired.groups["IPv4"] = ["": DesiredEndpoints.Group(ports: [], endpoints: endpoints)]
        let plan = EndpointSlicePlan(service: service, desired: desired, existing: [try Typed(JSONValueEncoder().encode(existing))],
                                     maxPerSlice: 2)
        #expect(plan.update.map { $0.slice.metadata.name } == ["web-aaaaa"])
        #expect(plan.update.first?.slice.endpoints.count == 2)
        #expect(plan.create.count == 1)
        #expect(plan.create.first?.endpoints.count == 1)
        #expect(plan.delete.isEmpty)
    }

    @Test func terminatingPodsAndPodsOnUnknownNodes() throws {
        let nodes = ObjectCache()
        _ = nodes.put(Self.node("n1"))
        let service = try Service(json: Self.service("web", selector: ["app": "web"], ports: [["port": 80, "targetPort": 8080, "protocol": "TCP"]]))
        var leaving = Fixtures.pod("leaving", node: "n1", labels: ["app": "web"], ip: "10.0.0.1")
        leaving[path: ["metadata", "deletionTimestamp"]] = "2026-05-28T20:00:00Z"
        let lost = Fixtures.pod("lost", node: "gone", labels: ["app": "web"], ip: "10.0.0.2")
        let desired = DesiredEndpoints(service: service, pods: try [leaving, lost].map(EndpointPod.init), nodes: nodes)
        let endpoints = desired.groups["IPv4"]?.values.flatMap { $0.endpoints } ?? []
        #expect(endpoints.count == 1)
        // Serving but not ready while terminating, as upstream's podToEndpoint says.
        #expect(endpoints.first?.conditions == EndpointConditions(ready: false, serving: true, terminating: true))
        #expect(desired.podsOnUnknownNodes == ["lost"])
    }

    @Test func trackerWaitsForTheCacheToSeeTheControllersWrites() {
        let tracker = EndpointSliceTracker()
        func slice(_ name: String, rv: Int) -> JSONValue { ["metadata": ["name": .string(name), "resourceVersion": .string(String(rv))]] }
        tracker.wrote("default/web", slice("web-a", rv: 5))
        #expect(tracker.isStale("default/web", cached: []))
        #expect(tracker.isStale("default/web", cached: [slice("web-a", rv: 4)]))
        #expect(!tracker.isStale("default/web", cached: [slice("web-a", rv: 5)]))
        #expect(!tracker.isStale("default/web", cached: []), "an expectation met once is dropped")
        tracker.deleted("default/web", name: "web-b")
        #expect(tracker.isStale("default/web", cached: [slice("web-b", rv: 7)]))
        #expect(!tracker.isStale("default/web", cached: []))
        tracker.wrote("default/web", slice("web-c", rv: 9))
        tracker.observedDeletion("default/web", name: "web-c")
        #expect(!tracker.isStale("default/web", cached: []), "a slice someone else deleted is not waited for")
    }
}
