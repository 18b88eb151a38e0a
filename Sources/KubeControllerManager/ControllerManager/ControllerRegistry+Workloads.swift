extension ControllerRegistry {
    /// deployment, replicaset, statefulset, daemonset, job, cronjob, ttl-after-finished.
    static var workloads: [ControllerDescriptor] { [] }
}
