import ControllerRuntime
import KubeClient
@testable import KubeControllerManager
import KubeJSON
import Testing

/// The persistentvolume-binder on a fake API: pre-provisioned volumes only, as upstream binds them.
@Suite struct PersistentVolumeBinderTests {
    static func volume(_ name: String, _ size: String, _ className: String = "manual", modes: [JSONValue] = ["ReadWriteOnce"]) -> JSONValue {
        ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": .string(name)],
         "spec": ["capacity": ["storage": .string(size)], "accessModes": .array(modes), "storageClassName": .string(className),
                  "persistentVolumeReclaimPolicy": "Retain", "hostPath": ["path": .string("/mnt/\(name)")]]]
    }

    /// As the apiserver stores a new claim: Pending.
    static func claim(_ name: String, _ size: String, _ className: String = "manual") -> JSONValue {
        ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": .string(name), "namespace": "default"],
         "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": .string(size)]], "storageClassName": .string(className)],
         "status": ["phase": "Pending"]]
    }

    func phase(_ h: ControllerHarness, volume name: String) -> String? {
        h.get(.persistentVolumes, name, namespace: "")?[path: ["status", "phase"]]?.string
    }

    @Test func aClaimBindsToTheSmallestVolumeThatFitsAndReleasesItWhenDeleted() async throws {
        let h = ControllerHarness(component: "persistentvolume-binder", objects: [
            (.persistentVolumes, Self.volume("big", "10Gi")), (.persistentVolumes, Self.volume("small", "1Gi")),
            (.persistentVolumes, Self.volume("tiny", "100Mi")), (.persistentVolumes, Self.volume("shared", "1Gi", modes: ["ReadWriteMany"])),
        ])
        let task = h.run(PersistentVolumeBinder(context: h.context))
        try await eventually("the volumes Available") { ["big", "small", "tiny", "shared"].allSatisfy { phase(h, volume: $0) == "Available" } }
        _ = try await h.fake.create(.persistentVolumeClaims, namespace: "default", Self.claim("data", "500Mi"))
        try await eventually("data Bound") { h.get(.persistentVolumeClaims, "data")?[path: ["status", "phase"]] == "Bound" }
        let claim = try #require(h.get(.persistentVolumeClaims, "data"))
        #expect(claim[path: ["spec", "volumeName"]] == "small")
        #expect(claim[path: ["status", "capacity", "storage"]] == "1Gi")
        try await eventually("small Bound to data") {
            let small = h.get(.persistentVolumes, "small", namespace: "")
            return small?[path: ["status", "phase"]] == "Bound" && small?[path: ["spec", "claimRef", "name"]] == "data"
        }
        // Deleting the claim releases the volume (Retain).
        try await h.fake.delete(.persistentVolumeClaims, namespace: "default", name: "data")
        try await eventually("small Released") { phase(h, volume: "small") == "Released" }
        await h.stop(task)
    }

    @Test func aClaimOfAWaitForFirstConsumerClassWaitsForItsPod() async throws {
        let h = ControllerHarness(component: "persistentvolume-binder", objects: [
            (.storageClasses, ["apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": ["name": "local"],
                               "provisioner": "kubernetes.io/no-provisioner", "volumeBindingMode": "WaitForFirstConsumer"]),
            (.persistentVolumes, Self.volume("localpv", "5Gi", "local")),
            (.persistentVolumeClaims, Self.claim("later", "1Gi", "local")),
            (.persistentVolumes, Self.volume("now", "1Gi")),
            (.persistentVolumeClaims, Self.claim("at-once", "1Gi")),
        ])
        let task = h.run(PersistentVolumeBinder(context: h.context))
        // A pass has run: the claim of an Immediate class is bound, the other left for the scheduler's choice.
        try await eventually("at-once Bound") { h.get(.persistentVolumeClaims, "at-once")?[path: ["status", "phase"]] == "Bound" }
        #expect(phase(h, volume: "localpv") == "Available")
        #expect(h.get(.persistentVolumeClaims, "later")?[path: ["status", "phase"]] == "Pending")
        // The scheduler picked a node for the pod that uses it.
        _ = try await h.fake.retryUpdate(.persistentVolumeClaims, namespace: "default", name: "later") { current in
            var next = current
            next[path: ["metadata", "annotations", "volume.kubernetes.io/selected-node"]] = "n1"
            return next
        }
        try await eventually("later Bound") { h.get(.persistentVolumeClaims, "later")?[path: ["status", "phase"]] == "Bound" }
        #expect(h.get(.persistentVolumeClaims, "later")?[path: ["spec", "volumeName"]] == "localpv")
        await h.stop(task)
    }
}
