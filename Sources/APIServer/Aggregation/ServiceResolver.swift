import KubeAPI
import KubeJSON

/// Upstream's endpoint routing for aggregated APIs (`ResolveEndpoint`): the Service's port with the APIService's port
/// number, then a random ready address of its Endpoints that carries a port of the same name. There is no kube-proxy
/// in front of the apiserver to route a cluster IP, so every request goes to an endpoint (as upstream's
/// `--enable-aggregator-routing=true`).
struct ServiceResolver {
    let server: APIServer

    func service(_ ref: ServiceReference) async throws -> Service? {
        guard let store = server.store("", "v1", "services") else { return nil }
        do {
            return try JSONValueDecoder(clampsIntegers: true).decode(Service.self, from: try await store.get(namespace: ref.namespace, name: ref.name))
        } catch let error as StatusError where error.code == 404 {
            return nil
        }
    }

    func endpoints(_ ref: ServiceReference) async throws -> Endpoints? {
        guard let store = server.store("", "v1", "endpoints") else { return nil }
        do {
            return try JSONValueDecoder(clampsIntegers: true).decode(Endpoints.self, from: try await store.get(namespace: ref.namespace, name: ref.name))
        } catch let error as StatusError where error.code == 404 {
            return nil
        }
    }

    /// Host and port of one ready endpoint of the Service behind `ref` (the resolver admission webhooks use too).
    func resolve(_ ref: ServiceReference) async throws -> (host: String, port: Int) {
        try await ServiceEndpointResolver(storage: server.storage).resolve(namespace: ref.namespace, name: ref.name, port: Int(ref.port ?? 443))
    }
}
