extension ControllerRegistry {
    /// garbage-collector, namespace, serviceaccount, root-ca-cert-publisher, clusterrole-aggregation,
    /// persistentvolume-binder.
    static var core: [ControllerDescriptor] { [] }
}
