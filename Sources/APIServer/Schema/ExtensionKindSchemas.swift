/// node.k8s.io, the CSI kinds of storage.k8s.io, flowcontrol.apiserver.k8s.io, autoscaling, apps/v1
/// ControllerRevision and core/v1 ComponentStatus: their fields to the depth kubectl users write and explain them.
extension Schemas {
    static let crossVersionObjectReference = obj(["kind": s, "name": s, "apiVersion": s], required: ["kind", "name"],
                                                 go: "CrossVersionObjectReference")
    static let metricTarget = obj(["type": s, "value": .quantity, "averageValue": .quantity, "averageUtilization": i32],
                                  required: ["type"], go: "MetricTarget")
    static let metricIdentifier = obj(["name": s, "selector": labelSelector], required: ["name"], go: "MetricIdentifier")
    static let metricSpec = obj([
        "type": s,
        "resource": obj(["name": s, "target": metricTarget], required: ["name", "target"], go: "ResourceMetricSource"),
        "containerResource": obj(["name": s, "container": s, "target": metricTarget], required: ["name", "target", "container"],
                                 go: "ContainerResourceMetricSource"),
        "pods": obj(["metric": metricIdentifier, "target": metricTarget], required: ["metric", "target"], go: "PodsMetricSource"),
        "object": obj(["describedObject": crossVersionObjectReference, "target": metricTarget, "metric": metricIdentifier],
                      required: ["describedObject", "target", "metric"], go: "ObjectMetricSource"),
        "external": obj(["metric": metricIdentifier, "target": metricTarget], required: ["metric", "target"], go: "ExternalMetricSource"),
    ], required: ["type"], go: "MetricSpec")
    static let scalingRules = obj([
        "stabilizationWindowSeconds": i32, "selectPolicy": s, "tolerance": .quantity,
        "policies": .list(obj(["type": s, "value": i32, "periodSeconds": i32], required: ["type", "value", "periodSeconds"],
                              go: "HPAScalingPolicy")),
    ], go: "HPAScalingRules")
    static let tokenRequest = obj(["audience": s, "expirationSeconds": i64], required: ["audience"], go: "TokenRequest")
    static let flowSubject = obj([
        "kind": s, "user": obj(["name": s], required: ["name"], go: "UserSubject"),
        "group": obj(["name": s], required: ["name"], go: "GroupSubject"),
        "serviceAccount": obj(["namespace": s, "name": s], required: ["namespace", "name"], go: "ServiceAccountSubject"),
    ], required: ["kind"], go: "Subject")

    static let extensionKindDefinitions: [String: Schema] = [
        "io.k8s.api.node.v1.RuntimeClass": kindSchema([
            "handler": s,
            "overhead": obj(["podFixed": .map(.quantity)], go: "Overhead"),
            "scheduling": obj(["nodeSelector": stringMap, "tolerations": .list(toleration)], go: "Scheduling"),
        ], required: ["handler"]),
        "io.k8s.api.storage.v1.CSIDriver": kindSchema([
            "spec": obj([
                "attachRequired": b, "podInfoOnMount": b, "volumeLifecycleModes": .list(.str, listType: "set"),
                "storageCapacity": b, "fsGroupPolicy": s, "tokenRequests": .list(tokenRequest, listType: "atomic"),
                "requiresRepublish": b, "seLinuxMount": b,
            ], go: "CSIDriverSpec"),
        ], required: ["spec"]),
        "io.k8s.api.storage.v1.CSINode": kindSchema([
            "spec": obj(["drivers": .list(obj([
                "name": s, "nodeID": s, "topologyKeys": strings,
                "allocatable": obj(["count": i32], go: "VolumeNodeResources"),
            ], required: ["name", "nodeID"], go: "CSINodeDriver"), mergeKey: "name")], required: ["drivers"], go: "CSINodeSpec"),
        ], required: ["spec"]),
        "io.k8s.api.storage.v1.VolumeAttachment": kindSchema([
            "spec": obj([
                "attacher": s, "nodeName": s,
                "source": obj(["persistentVolumeName": s, "inlineVolumeSpec": .preserveUnknown], go: "VolumeAttachmentSource"),
            ], required: ["attacher", "source", "nodeName"], go: "VolumeAttachmentSpec"),
            "status": obj(["attached": b, "attachmentMetadata": stringMap, "attachError": .preserveUnknown, "detachError": .preserveUnknown],
                          required: ["attached"], go: "VolumeAttachmentStatus"),
        ], required: ["spec"]),
        "io.k8s.api.storage.v1.CSIStorageCapacity": kindSchema([
            "nodeTopology": labelSelector, "storageClassName": s, "capacity": .quantity, "maximumVolumeSize": .quantity,
        ], required: ["storageClassName"]),
        "io.k8s.api.flowcontrol.v1.FlowSchema": kindSchema([
            "spec": obj([
                "priorityLevelConfiguration": obj(["name": s], required: ["name"], go: "PriorityLevelConfigurationReference"),
                "matchingPrecedence": i32,
                "distinguisherMethod": obj(["type": s], required: ["type"], go: "FlowDistinguisherMethod"),
                "rules": .list(obj([
                    "subjects": .list(flowSubject, listType: "atomic"),
                    "resourceRules": .list(.preserveUnknown), "nonResourceRules": .list(.preserveUnknown),
                ], required: ["subjects"], go: "PolicyRulesWithSubjects"), listType: "atomic"),
            ], required: ["priorityLevelConfiguration"], go: "FlowSchemaSpec"),
            "status": obj(["conditions": .list(.preserveUnknown, mergeKey: "type")], go: "FlowSchemaStatus"),
        ]),
        "io.k8s.api.flowcontrol.v1.PriorityLevelConfiguration": kindSchema([
            "spec": obj([
                "type": s,
                "limited": obj([
                    "nominalConcurrencyShares": i32, "lendablePercent": i32, "borrowingLimitPercent": i32,
                    "limitResponse": obj(["type": s, "queuing": obj(["queues": i32, "handSize": i32, "queueLengthLimit": i32],
                                                                    go: "QueuingConfiguration")],
                                         required: ["type"], go: "LimitResponse"),
                ], go: "LimitedPriorityLevelConfiguration"),
                "exempt": obj(["nominalConcurrencyShares": i32, "lendablePercent": i32], go: "ExemptPriorityLevelConfiguration"),
            ], required: ["type"], go: "PriorityLevelConfigurationSpec"),
            "status": obj(["conditions": .list(.preserveUnknown, mergeKey: "type")], go: "PriorityLevelConfigurationStatus"),
        ]),
        "io.k8s.api.apps.v1.ControllerRevision": kindSchema(["data": .preserveUnknown, "revision": i64], required: ["revision"]),
        "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler": kindSchema([
            "spec": obj([
                "scaleTargetRef": crossVersionObjectReference, "minReplicas": i32, "maxReplicas": i32,
                "metrics": .list(metricSpec, listType: "atomic"),
                "behavior": obj(["scaleUp": scalingRules, "scaleDown": scalingRules], go: "HorizontalPodAutoscalerBehavior"),
            ], required: ["scaleTargetRef", "maxReplicas"], go: "HorizontalPodAutoscalerSpec"),
            "status": obj([
                "observedGeneration": i64, "lastScaleTime": .time, "currentReplicas": i32, "desiredReplicas": i32,
                "currentMetrics": .list(.preserveUnknown, listType: "atomic"),
                "conditions": .list(obj(["type": s, "status": s, "lastTransitionTime": .time, "reason": s, "message": s],
                                        required: ["type", "status"], go: "HorizontalPodAutoscalerCondition"), mergeKey: "type"),
            ], required: ["desiredReplicas"], go: "HorizontalPodAutoscalerStatus"),
        ]),
        "io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler": kindSchema([
            "spec": obj([
                "scaleTargetRef": crossVersionObjectReference, "minReplicas": i32, "maxReplicas": i32, "targetCPUUtilizationPercentage": i32,
            ], required: ["scaleTargetRef", "maxReplicas"], go: "HorizontalPodAutoscalerSpec"),
            "status": obj([
                "observedGeneration": i64, "lastScaleTime": .time, "currentReplicas": i32, "desiredReplicas": i32,
                "currentCPUUtilizationPercentage": i32,
            ], required: ["currentReplicas", "desiredReplicas"], go: "HorizontalPodAutoscalerStatus"),
        ]),
        "io.k8s.api.core.v1.ComponentStatus": kindSchema([
            "conditions": .list(obj(["type": s, "status": s, "message": s, "error": s], required: ["type", "status"],
                                    go: "ComponentCondition"), mergeKey: "type"),
        ]),
    ]
}
