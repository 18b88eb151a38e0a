import KubeAPI
import KubeJSON

/// Upstream's endpoint routing for aggregated APIs (`ResolveEndpoint`): the Service's port with the APIService's port
/// number, then a random ready address of its Endpoints that carries a port of the same name. There is no kube-proxy
/// in front of the apiserver to route a cluster IP, so every request goes to an endpoint (as upstream's
/// `--enable-aggregator-routing=true`).
struct ServiceResolver {
    let server: APIServer

    enum Failure: Error, CustomStringConvertible {
        case serviceNotFound(namespace: String, name: String)
        case unsupportedType(String)
        case noPort(Int32, service: String)
        case noEndpoints(service: String)
        case unreadable(String)

        var description: String {
            switch self {
            case .serviceNotFound(_, let name): return "service \"\(name)\" not found"
            case .unsupportedType(let type): return "unsupported service type \"\(type)\""
            case .noPort(let port, let service): return "no service port \(port) found for service \"\(service)\""
            case .noEndpoints(let service): return "no endpoints available for service \"\(service)\""
            case .unreadable(let what): return what
            }
        }
    }

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

    /// Host and port of one ready endpoint of the Service behind `ref`.
    func resolve(_ ref: ServiceReference) async throws -> (host: String, port: Int) {
        let number = ref.port ?? 443
        guard let service = try await service(ref) else { throw Failure.serviceNotFound(namespace: ref.namespace, name: ref.name) }
        let type = service.spec.type.isEmpty ? "ClusterIP" : service.spec.type
        guard ["ClusterIP", "LoadBalancer", "NodePort"].contains(type) else { throw Failure.unsupportedType(type) }
        guard let servicePort = service.spec.ports?.first(where: { $0.port == number }) else {
            throw Failure.noPort(number, service: ref.name)
        }
        let subsets = try await endpoints(ref)?.subsets ?? []
        for subset in subsets.shuffled() {
            guard let addresses = subset.addresses, let address = addresses.randomElement() else { continue }
            if let port = subset.ports?.first(where: { $0.name == servicePort.name }) {
                return (address.ip, Int(port.port))
            }
        }
        throw Failure.noEndpoints(service: ref.name)
    }
}
