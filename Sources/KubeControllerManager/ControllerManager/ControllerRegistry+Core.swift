extension ControllerRegistry {
    /// garbage-collector, namespace, serviceaccount, root-ca-cert-publisher, clusterrole-aggregation,
    /// persistentvolume-binder, deployment.
    static var core: [ControllerDescriptor] {
        [
            ControllerDescriptor(name: "deployment", serviceAccount: "deployment-controller") { DeploymentController(context: $0) },
            ControllerDescriptor(name: "garbage-collector", serviceAccount: "generic-garbage-collector",
                                 component: "garbage-collector-controller") { GarbageCollector(context: $0) },
            ControllerDescriptor(name: "namespace", serviceAccount: "namespace-controller") { NamespaceController(context: $0) },
            ControllerDescriptor(name: "serviceaccount", serviceAccount: "service-account-controller") { ServiceAccountController(context: $0) },
            ControllerDescriptor(name: "serviceaccount-token", serviceAccount: "tokens-controller", component: "tokens-controller",
                                 usesRootCredentials: true) {
                TokensController(context: $0)
            },
            ControllerDescriptor(name: "root-ca-cert-publisher", serviceAccount: "root-ca-cert-publisher") { RootCACertPublisher(context: $0) },
            ControllerDescriptor(name: "clusterrole-aggregation", serviceAccount: "clusterrole-aggregation-controller") {
                ClusterRoleAggregationController(context: $0)
            },
            ControllerDescriptor(name: "persistentvolume-binder", serviceAccount: "persistent-volume-binder") { PersistentVolumeBinder(context: $0) },
        ]
    }
}
