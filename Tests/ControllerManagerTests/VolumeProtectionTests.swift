import ControllerRuntime
import KubeClient
import KubeJSON
@testable import KubeControllerManager
import Testing

@Suite struct VolumeProtectionTests {
    static let claim: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                   "metadata": ["name": "data", "namespace": "default"],
                                   "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]]]

    static func user(_ name: String) -> JSONValue {
        var pod = Fixtures.pod(name, node: "n1")
        pod[path: ["spec", "volumes"]] = [["name": "v", "persistentVolumeClaim": ["claimName": "data"]]]
        return pod
    }

    @Test func aClaimInUseKeepsItsFinalizerUntilThePodGoes() async throws {
        var spare = Self.claim
        spare[path: ["metadata", "name"]] = "spare"
        let h = LifecycleHarness([(.persistentVolumeClaims, Self.claim), (.persistentVolumeClaims, spare), (.pods, Self.user("user"))],
                                 component: "pvc-protection-controller")
        let task = h.start(PVCProtectionController(context: h.context))
        try await eventually("finalizers added") {
            ["data", "spare"].allSatisfy {
                h.object(.persistentVolumeClaims, "default", $0)?[path: ["metadata", "finalizers"]] == ["kubernetes.io/pvc-protection"]
            }
        }
        try await h.client.delete(.persistentVolumeClaims, namespace: "default", name: "data")
        try await h.client.delete(.persistentVolumeClaims, namespace: "default", name: "spare")
        #expect(h.object(.persistentVolumeClaims, "default", "data")?[path: ["metadata", "deletionTimestamp"]] != nil)
        // One worker takes keys in order: once the unused claim behind it is released, "data" has been looked at.
        try await eventually("the unused claim released") { h.object(.persistentVolumeClaims, "default", "spare") == nil }
        #expect(h.object(.persistentVolumeClaims, "default", "data") != nil, "a claim a running pod uses keeps its finalizer")

        try await h.client.delete(.pods, namespace: "default", name: "user")
        try await eventually("claim gone once unused") { h.object(.persistentVolumeClaims, "default", "data") == nil }
        await h.stop(task)
    }

    @Test func aTerminatedPodDoesNotHoldTheClaim() async throws {
        var claim = Self.claim
        claim[path: ["metadata", "finalizers"]] = ["kubernetes.io/pvc-protection"]
        claim[path: ["metadata", "deletionTimestamp"]] = "2026-05-28T20:20:00Z"
        var done = Self.user("done")
        done[path: ["status", "phase"]] = "Succeeded"
        let h = LifecycleHarness([(.persistentVolumeClaims, claim), (.pods, done)])
        let task = h.start(PVCProtectionController(context: h.context))
        try await eventually("claim released") { h.object(.persistentVolumeClaims, "default", "data") == nil }
        await h.stop(task)
    }

    @Test func aBoundVolumeKeepsItsFinalizerUntilReleased() async throws {
        func volume(_ name: String, phase: String) -> JSONValue {
            ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)],
             "spec": ["capacity": ["storage": "1Gi"], "hostPath": ["path": .string("/tmp/" + name)]],
             "status": ["phase": .string(phase)]]
        }
        let h = LifecycleHarness([(.persistentVolumes, volume("pv1", phase: "Bound")), (.persistentVolumes, volume("spare", phase: "Available"))],
                                 component: "pv-protection-controller")
        let task = h.start(PVProtectionController(context: h.context))
        try await eventually("finalizers added") {
            ["pv1", "spare"].allSatisfy { h.object(.persistentVolumes, nil, $0)?[path: ["metadata", "finalizers"]] == ["kubernetes.io/pv-protection"] }
        }
        try await h.client.delete(.persistentVolumes, name: "pv1")
        try await h.client.delete(.persistentVolumes, name: "spare")
        try await eventually("the available volume released") { h.object(.persistentVolumes, nil, "spare") == nil }
        #expect(h.object(.persistentVolumes, nil, "pv1") != nil, "a Bound volume keeps its finalizer")
        try await h.setStatus(.persistentVolumes, nil, "pv1") { $0[path: ["status", "phase"]] = "Released" }
        try await eventually("volume gone once released") { h.object(.persistentVolumes, nil, "pv1") == nil }
        await h.stop(task)
    }
}
