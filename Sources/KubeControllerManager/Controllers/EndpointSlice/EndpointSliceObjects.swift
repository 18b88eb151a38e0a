import KubeAPI
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
    static func labels(for service: Service) -> [String: String] {
        var labels = (service.metadata.labels ?? [:]).filter { ![serviceNameLabel, managedByLabel, headlessLabel].contains($0.key) }
        let clusterIP = service.spec.clusterIP
        if clusterIP.isEmpty || clusterIP == "None" { labels[headlessLabel] = "" }
        labels[serviceNameLabel] = service.metadata.name ?? ""
        labels[managedByLabel] = managedBy
        return labels
    }

    /// Whether this controller wrote the slice, and for which Service (namespace/name). Labels only: it runs on
    /// every slice event.
    static func serviceKey(_ slice: JSONValue) -> String? {
        let labels = slice.metaLabels
        guard labels[managedByLabel] == managedBy, let service = labels[serviceNameLabel], !service.isEmpty else { return nil }
        return "\(slice.metaNamespace)/\(service)"
    }

    /// The UID of the Service controlling the slice, if a Service does.
    static func ownerUID(_ slice: EndpointSlice) -> String? {
        let owner = (slice.metadata.ownerReferences ?? []).first { $0.controller == true && $0.kind == "Service" && $0.apiVersion == "v1" }
        return owner?.uid
    }

    /// A new slice: named by the apiserver from `<service>-`, owned by the Service so that it goes with it.
    static func newSlice(service: Service, addressType: String, ports: [Discovery.EndpointPort], endpoints: [Endpoint],
                         labels: [String: String]) -> EndpointSlice {
        let name = service.metadata.name ?? ""
        var metadata = ObjectMeta(namespace: service.metadata.namespace, labels: labels)
        metadata.generateName = generateName(name)
        metadata.ownerReferences = [.newControllerRef(apiVersion: "v1", kind: "Service", name: name, uid: service.metadata.uid ?? "")]
        return EndpointSlice(metadata: metadata, addressType: addressType, endpoints: endpoints, ports: ports)
    }

    /// getEndpointSlicePrefix: `<service>-`, shortened so that the five generated characters still fit a name.
    static func generateName(_ service: String) -> String {
        let prefix = service + "-"
        return prefix.count > 253 - 5 ? String(prefix.prefix(253 - 5)) : prefix
    }
}
