/// apps/v1 and batch/v1: the workload kinds, around core/v1's pod spec. Status is written by controllers and kept
/// as given.
extension Schemas {
    static let labelSelector = obj([
        "matchLabels": stringMap,
        "matchExpressions": .list(obj(["key": s, "operator": s, "values": strings], required: ["key", "operator"])),
    ])
    static let podTemplateSpec = obj(["metadata": .ref(meta), "spec": podSpec])
    static let rollingUpdate = obj(["maxUnavailable": .intOrString, "maxSurge": .intOrString, "partition": i32])

    static let jobSpec = obj([
        "parallelism": i32, "completions": i32, "activeDeadlineSeconds": i64, "podFailurePolicy": .preserveUnknown,
        "successPolicy": .preserveUnknown, "backoffLimit": i32, "backoffLimitPerIndex": i32, "maxFailedIndexes": i32,
        "selector": labelSelector, "manualSelector": b, "template": podTemplateSpec, "ttlSecondsAfterFinished": i32,
        "completionMode": s, "suspend": b, "podReplacementPolicy": s, "managedBy": s,
    ], required: ["template"])

    static let workloadDefinitions: [String: Schema] = [
        "io.k8s.api.apps.v1.Deployment": kindSchema([
            "spec": obj([
                "replicas": i32, "selector": labelSelector, "template": podTemplateSpec,
                "strategy": obj(["type": s, "rollingUpdate": rollingUpdate]), "minReadySeconds": i32,
                "revisionHistoryLimit": i32, "paused": b, "progressDeadlineSeconds": i32,
            ], required: ["selector", "template"]),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.apps.v1.ReplicaSet": kindSchema([
            "spec": obj(["replicas": i32, "minReadySeconds": i32, "selector": labelSelector, "template": podTemplateSpec],
                        required: ["selector"]),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.apps.v1.StatefulSet": kindSchema([
            "spec": obj([
                "replicas": i32, "selector": labelSelector, "template": podTemplateSpec, "volumeClaimTemplates": .list(.preserveUnknown),
                "serviceName": s, "podManagementPolicy": s, "updateStrategy": obj(["type": s, "rollingUpdate": rollingUpdate]),
                "revisionHistoryLimit": i32, "minReadySeconds": i32,
                "persistentVolumeClaimRetentionPolicy": obj(["whenDeleted": s, "whenScaled": s]), "ordinals": obj(["start": i32]),
            ], required: ["selector", "template"]),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.apps.v1.DaemonSet": kindSchema([
            "spec": obj([
                "selector": labelSelector, "template": podTemplateSpec, "updateStrategy": obj(["type": s, "rollingUpdate": rollingUpdate]),
                "minReadySeconds": i32, "revisionHistoryLimit": i32,
            ], required: ["selector", "template"]),
            "status": .preserveUnknown,
        ]),
        "io.k8s.api.batch.v1.Job": kindSchema(["spec": jobSpec, "status": .preserveUnknown]),
        "io.k8s.api.batch.v1.CronJob": kindSchema([
            "spec": obj([
                "schedule": s, "timeZone": s, "startingDeadlineSeconds": i64, "concurrencyPolicy": s, "suspend": b,
                "jobTemplate": obj(["metadata": .ref(meta), "spec": jobSpec]), "successfulJobsHistoryLimit": i32,
                "failedJobsHistoryLimit": i32,
            ], required: ["schedule", "jobTemplate"]),
            "status": .preserveUnknown,
        ]),
    ]
}
