@testable import APIServer
import KubeAPI
import KubeJSON
import Testing

/// Probe defaults replace Go's zero values as upstream's SetDefaults_Probe does.
@Suite struct ProbeDefaultsTests {
    static let pods = "/api/v1/namespaces/default/pods"

    static func probe(_ fields: JSONValue) -> JSONValue {
        var p: JSONValue = ["tcpSocket": ["port": 8080]]
        for (key, value) in fields.object ?? [:] { p[key] = value }
        return p
    }

    @Test func probeTimingsAndThresholdsOfZeroTakeTheirDefaults() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var pod = WorkloadFixtures.pod("probed")
        let zeros: JSONValue = ["timeoutSeconds": 0, "periodSeconds": 0, "successThreshold": 0, "failureThreshold": 0]
        pod[path: ["spec", "containers"]] = [["name": "c", "image": "busybox:1.36", "livenessProbe": Self.probe(zeros),
                                             "startupProbe": Self.probe(["successThreshold": 0]), "readinessProbe": Self.probe(.emptyObject)]]
        let created = try await s.request("POST", Self.pods, pod)
        #expect(created.status == 201, "\(created.text)")
        let container = created.body[path: ["spec", "containers"]]?.array?.first ?? .null
        for probe in ["livenessProbe", "startupProbe", "readinessProbe"] {
            let p = container[probe] ?? .null
            #expect(p["timeoutSeconds"] == 1 && p["periodSeconds"] == 10 && p["successThreshold"] == 1 && p["failureThreshold"] == 3,
                    "\(probe): \(JSONWriter.string(p))")
        }

        // The same in a workload's pod template.
        var deployment = WorkloadTests.deployment("probed")
        deployment[path: ["spec", "template", "spec", "containers"]] = [["name": "web", "image": "nginx:1.27",
                                                                        "livenessProbe": Self.probe(["successThreshold": 0])]]
        let workload = try await s.request("POST", WorkloadTests.deployments, deployment)
        #expect(workload.status == 201, "\(workload.text)")
        // A threshold other than 1 where only 1 makes sense is still refused.
        deployment[path: ["metadata", "name"]] = "probed-2"
        deployment[path: ["spec", "template", "spec", "containers"]] = [["name": "web", "image": "nginx:1.27",
                                                                        "livenessProbe": Self.probe(["successThreshold": 2])]]
        let two = try await s.request("POST", WorkloadTests.deployments, deployment)
        #expect(two.status == 422 && two.text.contains("livenessProbe.successThreshold: Invalid value: 2: must be 1"), "\(two.text)")
    }

    @Test func aPodStoredWithAZeroThresholdCanStillBeUpdated() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var pod = WorkloadFixtures.pod("legacy-probe")
        pod[path: ["spec", "containers"]] = [["name": "c", "image": "busybox:1.36", "readinessProbe": Self.probe(["successThreshold": 0])]]
        try await StoredObjectSafetyTests.storeRaw(s, "", "pods", pod)
        let uri = "\(Self.pods)/legacy-probe"
        let labelled = try await s.request("PATCH", uri, ["metadata": ["labels": ["a": "b"]]], contentType: "application/merge-patch+json")
        #expect(labelled.status == 200, "\(labelled.text)")
        let status = try await s.request("PATCH", "\(uri)/status", ["status": ["phase": "Running"]], contentType: "application/merge-patch+json")
        #expect(status.status == 200, "\(status.text)")
    }

    /// SetDefaults_ObjectFieldSelector and the volume defaults: `kubectl describe pod` prints an env var from a fieldRef
    /// as `(v1:metadata.name)`, which needs the apiVersion upstream stores.
    @Test func fieldRefsAndDownwardVolumesTakeUpstreamsDefaults() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var pod = WorkloadFixtures.pod("downward")
        pod[path: ["spec", "containers"]] = [["name": "c", "image": "busybox:1.36",
                                             "env": [["name": "POD", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
                                                     ["name": "PLAIN", "value": "x"],
                                                     ["name": "OTHER", "valueFrom": ["fieldRef": ["apiVersion": "v1", "fieldPath": "spec.nodeName"]]]]]]
        pod[path: ["spec", "volumes"]] = [
            ["name": "info", "downwardAPI": ["items": [["path": "labels", "fieldRef": ["fieldPath": "metadata.labels"]]]]],
            ["name": "all", "projected": ["sources": [["downwardAPI": ["items": [["path": "ns", "fieldRef": ["fieldPath": "metadata.namespace"]]]]],
                                                      ["serviceAccountToken": ["path": "token"]]]]],
        ]
        let created = try await s.request("POST", Self.pods, pod)
        #expect(created.status == 201, "\(created.text)")
        let env = created.body[path: ["spec", "containers"]]?.array?.first?["env"]?.array ?? []
        #expect(env.map { $0[path: ["valueFrom", "fieldRef", "apiVersion"]] } == [.string("v1"), nil, .string("v1")])
        let volumes = created.body[path: ["spec", "volumes"]]?.array ?? []
        #expect(volumes.first?[path: ["downwardAPI", "defaultMode"]] == 420)
        #expect(volumes.first?[path: ["downwardAPI", "items"]]?.array?.first?[path: ["fieldRef", "apiVersion"]] == "v1")
        let sources = volumes.dropFirst().first?[path: ["projected", "sources"]]?.array ?? []
        #expect(volumes.dropFirst().first?[path: ["projected", "defaultMode"]] == 420)
        #expect(sources.first?[path: ["downwardAPI", "items"]]?.array?.first?[path: ["fieldRef", "apiVersion"]] == "v1")
        #expect(sources.dropFirst().first?[path: ["serviceAccountToken", "expirationSeconds"]] == 3600)
    }
}
