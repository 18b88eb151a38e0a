extension ControllerRegistry {
    /// deployment, replicaset, statefulset, daemonset, job, cronjob, ttl-after-finished.
    static var workloads: [ControllerDescriptor] {
        [
            ControllerDescriptor(name: "replicaset", serviceAccount: "replicaset-controller") { ReplicaSetController(context: $0) },
        ]
    }
}
