extension ControllerRegistry {
    /// node-lifecycle, endpoints, endpointslice, pod-garbage-collector, persistentvolume-protection,
    /// persistentvolumeclaim-protection, resourcequota, disruption.
    static var lifecycle: [ControllerDescriptor] { [] }
}
