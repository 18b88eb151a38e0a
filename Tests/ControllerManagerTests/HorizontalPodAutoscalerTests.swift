import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The horizontal-pod-autoscaler controller without a metrics API: bounds enforced through `scale`, and upstream's
/// conditions and events when replicas would need metrics.
@Suite struct HorizontalPodAutoscalerTests {
    static func deployment(replicas: Int64) -> JSONValue {
        ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web", "namespace": "default"],
         "spec": ["replicas": .int(replicas), "selector": ["matchLabels": ["app": "web"]]]]
    }

    static let hpa: JSONValue = [
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": ["name": "web", "namespace": "default"],
        "spec": ["scaleTargetRef": ["apiVersion": "apps/v1", "kind": "Deployment", "name": "web"], "minReplicas": 2, "maxReplicas": 5,
                 "metrics": [["type": "Resource", "resource": ["name": "cpu", "target": ["type": "Utilization", "averageUtilization": 60]]]]],
    ]

    func condition(_ h: ControllerHarness, _ type: String) -> JSONValue? {
        h.get(.horizontalPodAutoscalers, "web")?[path: ["status", "conditions"]]?.array?.first { $0["type"]?.string == type }
    }

    @Test func belowMinReplicasIsScaledUpToTheMinimum() async throws {
        let h = ControllerHarness(component: HorizontalPodAutoscalerController.component,
                                  objects: [(.deployments, Self.deployment(replicas: 1)), (.horizontalPodAutoscalers, Self.hpa)])
        let task = h.run(HorizontalPodAutoscalerController(context: h.context))
        try await eventually("scaled to 2") { h.get(.deployments, "web")?[path: ["spec", "replicas"]] == 2 }
        try await eventually("status") {
            let status = h.get(.horizontalPodAutoscalers, "web")?["status"]
            return status?["desiredReplicas"] == 2 && status?["lastScaleTime"] != nil
        }
        #expect(condition(h, "ScalingLimited")?["reason"] == "TooFewReplicas")
        let events = await h.events(about: "web")
        #expect(events.contains { $0["reason"] == "SuccessfulRescale" && $0["message"] == "New size: 2; reason: Current number of replicas below Spec.MinReplicas" })
        await h.stop(task)
    }

    @Test func withinBoundsWithoutAMetricsAPIScalingIsNotActive() async throws {
        let h = ControllerHarness(component: HorizontalPodAutoscalerController.component,
                                  objects: [(.deployments, Self.deployment(replicas: 3)), (.horizontalPodAutoscalers, Self.hpa)])
        let task = h.run(HorizontalPodAutoscalerController(context: h.context))
        try await eventually("ScalingActive False") { condition(h, "ScalingActive")?["status"] == "False" }
        #expect(condition(h, "ScalingActive")?["reason"] == "FailedGetResourceMetric")
        #expect(condition(h, "ScalingActive")?["message"]?.string?.hasPrefix("the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu") == true)
        #expect(condition(h, "AbleToScale")?["reason"] == "SucceededGetScale")
        #expect(h.get(.horizontalPodAutoscalers, "web")?[path: ["status", "currentReplicas"]] == 3)
        #expect(h.get(.deployments, "web")?[path: ["spec", "replicas"]] == 3, "left as it is")
        let events = await h.events(about: "web")
        #expect(events.contains { $0["reason"] == "FailedGetResourceMetric" && $0["type"] == "Warning" })
        await h.stop(task)
    }

    @Test func anUnknownTargetKindCannotBeScaled() async throws {
        var hpa = Self.hpa
        hpa[path: ["spec", "scaleTargetRef"]] = ["apiVersion": "example.com/v1", "kind": "Widget", "name": "w"]
        let h = ControllerHarness(component: HorizontalPodAutoscalerController.component, objects: [(.horizontalPodAutoscalers, hpa)])
        let task = h.run(HorizontalPodAutoscalerController(context: h.context))
        try await eventually("AbleToScale False") { condition(h, "AbleToScale")?["status"] == "False" }
        #expect(condition(h, "AbleToScale")?["reason"] == "FailedGetScale")
        await h.stop(task)
    }
}
