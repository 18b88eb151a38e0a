import KubeJSON

extension Bootstrapper {
    /// upstream's EndpointsAdapter: the apiserver keeps an EndpointSlice `kubernetes` beside the Endpoints of that
    /// name (the Service has no selector, so no controller writes one), for clients that read only slices.
    func ensureKubernetesEndpointSlice(_ context: RequestContext) async throws {
        guard let slices = server.store("discovery.k8s.io", "v1", "endpointslices") else { return }
        let address = server.options.advertiseAddress
        let desired: JSONValue = [
            "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["kubernetes.io/service-name": "kubernetes"]],
            "addressType": address.contains(":") ? "IPv6" : "IPv4",
            "endpoints": [["addresses": [.string(address)], "conditions": ["ready": true]]],
            "ports": [["name": "https", "port": .int(Int64(server.options.securePort)), "protocol": "TCP"]],
        ]
        guard let current = try? await slices.get(namespace: "default", name: "kubernetes") else {
            return try await ensure(slices, namespace: "default", desired, context)
        }
        if current["addressType"] != desired["addressType"] {
            // The address type cannot change in place.
            _ = try await slices.delete(namespace: "default", name: "kubernetes", options: DeleteOptions(), context: context)
            return try await ensure(slices, namespace: "default", desired, context)
        }
        guard current["endpoints"] != desired["endpoints"] || current["ports"] != desired["ports"] else { return }
        var updated = current
        updated["endpoints"] = desired["endpoints"]
        updated["ports"] = desired["ports"]
        _ = try await slices.update(namespace: "default", name: "kubernetes", object: updated, context: context)
    }
}
