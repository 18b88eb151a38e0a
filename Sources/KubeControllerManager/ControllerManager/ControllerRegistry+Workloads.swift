extension ControllerRegistry {
    /// replicaset, statefulset, daemonset, job, cronjob, ttl-after-finished (deployment is with the core ones).
    static var workloads: [ControllerDescriptor] {
        [
            ControllerDescriptor(name: "replicaset", serviceAccount: "replicaset-controller") { ReplicaSetController(context: $0) },
            ControllerDescriptor(name: "horizontalpodautoscaling", serviceAccount: "horizontal-pod-autoscaler") {
                HorizontalPodAutoscalerController(context: $0)
            },
            ControllerDescriptor(name: "replicationcontroller", serviceAccount: "replication-controller") {
                ReplicaSetController(context: $0, flavor: ReplicaSetController.replicationControllers)
            },
            ControllerDescriptor(name: "statefulset", serviceAccount: "statefulset-controller") { StatefulSetController(context: $0) },
            // upstream's service account is spelled daemon-set-controller; its events say daemonset-controller.
            ControllerDescriptor(name: "daemonset", serviceAccount: "daemon-set-controller",
                                 component: DaemonSetController.component) { DaemonSetController(context: $0) },
            ControllerDescriptor(name: "job", serviceAccount: "job-controller") { JobController(context: $0) },
            ControllerDescriptor(name: "cronjob", serviceAccount: "cronjob-controller") { CronJobController(context: $0) },
            ControllerDescriptor(name: "ttl-after-finished", serviceAccount: "ttl-after-finished-controller") {
                TTLAfterFinishedController(context: $0)
            },
        ]
    }
}
