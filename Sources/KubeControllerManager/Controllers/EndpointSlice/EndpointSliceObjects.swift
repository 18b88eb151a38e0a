import KubeJSON

/// The labels, owner and shape of the slices this controller writes (upstream's newEndpointSlice and
/// setEndpointSliceLabels).
enum EndpointSliceObjects {
    static let serviceNameLabel = "kubernetes.io/service-name"
    static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    static let managedBy = "endpointslice-controller.k8s.io"
    static let headlessLabel = "service.kubernetes.io/headless"

    /// The Service's labels, less the ones that say what the slice is, then those: its Service, this controller,
    /// and whether the Service is headless.
    static func labels(for service: JSONValue) -> [String: String] {
        var labels = Lifecycle.labels(service).filter { ![serviceNameLabel, managedByLabel, headlessLabel].contains($0.key) }
        let clusterIP = service[path: ["spec", "clusterIP"]]?.string ?? ""
        if clusterIP.isEmpty || clusterIP == "None" { labels[headlessLabel] = "" }
        labels[serviceNameLabel] = Lifecycle.name(service)
        labels[managedByLabel] = managedBy
        return labels
    }

    /// Whether this controller wrote the slice, and for which Service (namespace/name).
    static func serviceKey(_ slice: JSONValue) -> String? {
        let labels = Lifecycle.labels(slice)
        guard labels[managedByLabel] == managedBy, let service = labels[serviceNameLabel], !service.isEmpty else { return nil }
        return "\(Lifecycle.namespace(slice))/\(service)"
    }

    /// The UID of the Service controlling the slice, if a Service does.
    static func ownerUID(_ slice: JSONValue) -> String? {
        let refs = slice[path: ["metadata", "ownerReferences"]]?.array ?? []
        let owner = refs.first { $0["controller"]?.bool == true && $0["kind"]?.string == "Service" && $0["apiVersion"]?.string == "v1" }
        return owner?["uid"]?.string
    }

    /// A new slice: named by the apiserver from `<service>-`, owned by the Service so that it goes with it.
    static func newSlice(service: JSONValue, addressType: String, ports: [JSONValue], endpoints: [JSONValue],
                         labels: [String: String]) -> JSONValue {
        let owner: JSONValue = ["apiVersion": "v1", "kind": "Service", "name": .string(Lifecycle.name(service)),
                                "uid": .string(Lifecycle.uid(service)), "controller": true, "blockOwnerDeletion": true]
        return ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": ["generateName": .string(generateName(Lifecycle.name(service))),
                             "namespace": .string(Lifecycle.namespace(service)),
                             "labels": JSONValue(labels), "ownerReferences": [owner]],
                "addressType": .string(addressType), "endpoints": .array(endpoints), "ports": .array(ports)]
    }

    /// getEndpointSlicePrefix: `<service>-`, shortened so that the five generated characters still fit a name.
    static func generateName(_ service: String) -> String {
        let prefix = service + "-"
        return prefix.count > 253 - 5 ? String(prefix.prefix(253 - 5)) : prefix
    }
}
