extension ControllerRegistry {
    /// node-lifecycle, taint-eviction-controller, endpoints, endpointslice, pod-garbage-collector,
    /// persistentvolume-protection, persistentvolumeclaim-protection, resourcequota, disruption.
    static var lifecycle: [ControllerDescriptor] {
        [
            ControllerDescriptor(name: "node-lifecycle", serviceAccount: "node-controller") {
                NodeLifecycleController(context: $0)
            },
            // Upstream runs it under the node controller's service account and role.
            ControllerDescriptor(name: "taint-eviction-controller", serviceAccount: "node-controller",
                                 component: "taint-eviction-controller") {
                TaintEvictionController(context: $0)
            },
            ControllerDescriptor(name: "endpoints", serviceAccount: "endpoint-controller") {
                EndpointsController(context: $0)
            },
            ControllerDescriptor(name: "endpointslice", serviceAccount: "endpointslice-controller",
                                 component: "endpoint-slice-controller") {
                EndpointSliceController(context: $0)
            },
            ControllerDescriptor(name: "pod-garbage-collector", serviceAccount: "pod-garbage-collector") {
                PodGCController(context: $0)
            },
            ControllerDescriptor(name: "persistentvolume-protection", serviceAccount: "pv-protection-controller") {
                PVProtectionController(context: $0)
            },
            ControllerDescriptor(name: "persistentvolumeclaim-protection", serviceAccount: "pvc-protection-controller") {
                PVCProtectionController(context: $0)
            },
            ControllerDescriptor(name: "resourcequota", serviceAccount: "resourcequota-controller") {
                ResourceQuotaController(context: $0)
            },
            // Upstream's disruption controller records events as "controllermanager".
            ControllerDescriptor(name: "disruption", serviceAccount: "disruption-controller", component: "controllermanager") {
                DisruptionController(context: $0)
            },
        ]
    }
}
