/// apps/v1 and batch/v1: the workload kinds, around core/v1's pod spec. Status has its schema too: controllers
/// do arithmetic on its counters, so a status write is decoded (and range-checked) as strictly as a spec.
extension Schemas {
    static let labelSelector = obj([
        "matchLabels": stringMap,
        "matchExpressions": .list(obj(["key": s, "operator": s, "values": strings], required: ["key", "operator"],
                                      go: "LabelSelectorRequirement")),
    ], go: "LabelSelector")
    static let podTemplateSpec = obj(["metadata": .ref(meta), "spec": podSpec], go: "PodTemplateSpec")

    /// A workload condition (DeploymentCondition, …): the counters are what matters; conditions are checked for shape.
    static func workloadCondition(_ goType: String, updateTime: Bool = false) -> Schema {
        var fields: [String: Schema] = ["type": s, "status": s, "lastTransitionTime": .time, "reason": s, "message": s]
        if updateTime { fields["lastUpdateTime"] = .time }
        if goType == "JobCondition" { fields["lastProbeTime"] = .time }
        return obj(fields, required: ["type", "status"], go: goType)
    }

    static let jobSpec = obj([
        "parallelism": i32, "completions": i32, "activeDeadlineSeconds": i64, "podFailurePolicy": .preserveUnknown,
        "successPolicy": .preserveUnknown, "backoffLimit": i32, "backoffLimitPerIndex": i32, "maxFailedIndexes": i32,
        "selector": labelSelector, "manualSelector": b, "template": podTemplateSpec, "ttlSecondsAfterFinished": i32,
        "completionMode": s, "suspend": b, "podReplacementPolicy": s, "managedBy": s,
    ], required: ["template"], go: "JobSpec")

    static let jobStatus = obj([
        "conditions": .list(workloadCondition("JobCondition"), mergeKey: "type", listType: "atomic"), "startTime": .time, "completionTime": .time,
        "active": i32, "succeeded": i32, "failed": i32, "terminating": i32, "completedIndexes": s, "failedIndexes": s,
        "uncountedTerminatedPods": obj(["succeeded": .list(.str, listType: "set"), "failed": .list(.str, listType: "set")],
                                       go: "UncountedTerminatedPods"),
        "ready": i32,
    ], go: "JobStatus")

    static let workloadDefinitions: [String: Schema] = [
        "io.k8s.api.apps.v1.Deployment": kindSchema([
            "spec": obj([
                "replicas": i32, "selector": labelSelector, "template": podTemplateSpec,
                "strategy": obj(["type": s, "rollingUpdate": obj(["maxUnavailable": .intOrString, "maxSurge": .intOrString],
                                                                 go: "RollingUpdateDeployment")], go: "DeploymentStrategy"),
                "minReadySeconds": i32, "revisionHistoryLimit": i32, "paused": b, "progressDeadlineSeconds": i32,
            ], required: ["selector", "template"], go: "DeploymentSpec"),
            "status": obj([
                "observedGeneration": i64, "replicas": i32, "updatedReplicas": i32, "readyReplicas": i32, "availableReplicas": i32,
                "unavailableReplicas": i32, "terminatingReplicas": i32,
                "conditions": .list(workloadCondition("DeploymentCondition", updateTime: true), mergeKey: "type"), "collisionCount": i32,
            ], go: "DeploymentStatus"),
        ]),
        "io.k8s.api.core.v1.ReplicationController": kindSchema([
            "spec": obj(["replicas": i32, "minReadySeconds": i32, "selector": stringMap, "template": podTemplateSpec],
                        go: "ReplicationControllerSpec"),
            "status": obj([
                "replicas": i32, "fullyLabeledReplicas": i32, "readyReplicas": i32, "availableReplicas": i32,
                "observedGeneration": i64, "conditions": .list(workloadCondition("ReplicationControllerCondition"), mergeKey: "type"),
            ], required: ["replicas"], go: "ReplicationControllerStatus"),
        ]),
        "io.k8s.api.core.v1.PodTemplate": kindSchema(["template": podTemplateSpec]),
        "io.k8s.api.apps.v1.ReplicaSet": kindSchema([
            "spec": obj(["replicas": i32, "minReadySeconds": i32, "selector": labelSelector, "template": podTemplateSpec],
                        required: ["selector"], go: "ReplicaSetSpec"),
            "status": obj([
                "replicas": i32, "fullyLabeledReplicas": i32, "readyReplicas": i32, "availableReplicas": i32, "terminatingReplicas": i32,
                "observedGeneration": i64, "conditions": .list(workloadCondition("ReplicaSetCondition"), mergeKey: "type"),
            ], go: "ReplicaSetStatus"),
        ]),
        "io.k8s.api.apps.v1.StatefulSet": kindSchema([
            "spec": obj([
                "replicas": i32, "selector": labelSelector, "template": podTemplateSpec, "volumeClaimTemplates": .list(.preserveUnknown),
                "serviceName": s, "podManagementPolicy": s,
                "updateStrategy": obj(["type": s, "rollingUpdate": obj(["partition": i32, "maxUnavailable": .intOrString],
                                                                       go: "RollingUpdateStatefulSetStrategy")],
                                      go: "StatefulSetUpdateStrategy"),
                "revisionHistoryLimit": i32, "minReadySeconds": i32,
                "persistentVolumeClaimRetentionPolicy": obj(["whenDeleted": s, "whenScaled": s],
                                                            go: "StatefulSetPersistentVolumeClaimRetentionPolicy"),
                "ordinals": obj(["start": i32], go: "StatefulSetOrdinals"),
            ], required: ["selector", "template"], go: "StatefulSetSpec"),
            "status": obj([
                "observedGeneration": i64, "replicas": i32, "readyReplicas": i32, "currentReplicas": i32, "updatedReplicas": i32,
                "currentRevision": s, "updateRevision": s, "collisionCount": i32,
                "conditions": .list(workloadCondition("StatefulSetCondition"), mergeKey: "type"), "availableReplicas": i32,
            ], go: "StatefulSetStatus"),
        ]),
        "io.k8s.api.apps.v1.DaemonSet": kindSchema([
            "spec": obj([
                "selector": labelSelector, "template": podTemplateSpec,
                "updateStrategy": obj(["type": s, "rollingUpdate": obj(["maxUnavailable": .intOrString, "maxSurge": .intOrString],
                                                                       go: "RollingUpdateDaemonSet")],
                                      go: "DaemonSetUpdateStrategy"),
                "minReadySeconds": i32, "revisionHistoryLimit": i32,
            ], required: ["selector", "template"], go: "DaemonSetSpec"),
            "status": obj([
                "currentNumberScheduled": i32, "numberMisscheduled": i32, "desiredNumberScheduled": i32, "numberReady": i32,
                "observedGeneration": i64, "updatedNumberScheduled": i32, "numberAvailable": i32, "numberUnavailable": i32,
                "collisionCount": i32, "conditions": .list(workloadCondition("DaemonSetCondition"), mergeKey: "type"),
            ], go: "DaemonSetStatus"),
        ]),
        "io.k8s.api.batch.v1.Job": kindSchema(["spec": jobSpec, "status": jobStatus]),
        "io.k8s.api.batch.v1.CronJob": kindSchema([
            "spec": obj([
                "schedule": s, "timeZone": s, "startingDeadlineSeconds": i64, "concurrencyPolicy": s, "suspend": b,
                "jobTemplate": obj(["metadata": .ref(meta), "spec": jobSpec], go: "JobTemplateSpec"), "successfulJobsHistoryLimit": i32,
                "failedJobsHistoryLimit": i32,
            ], required: ["schedule", "jobTemplate"], go: "CronJobSpec"),
            "status": obj([
                "active": .list(objectReference, listType: "atomic"), "lastScheduleTime": .time, "lastSuccessfulTime": .time,
            ], go: "CronJobStatus"),
        ]),
        // The scale subresource's body (autoscaling/v1), decoded like any kind.
        "io.k8s.api.autoscaling.v1.Scale": kindSchema([
            "spec": obj(["replicas": i32], go: "ScaleSpec"),
            "status": obj(["replicas": i32, "selector": s], required: ["replicas"], go: "ScaleStatus"),
        ]),
    ]
}
