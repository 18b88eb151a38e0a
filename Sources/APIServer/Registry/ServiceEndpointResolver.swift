import KubeJSON
import KubeStorage

/// A Service's port to a ready endpoint address and port (upstream's ResolveEndpoint for the apiserver's own calls):
/// the service port picks the endpoint port by name; a ready address among the Endpoints' (or, without an Endpoints
/// object, the EndpointSlices') is chosen at random.
struct ServiceEndpointResolver: Sendable {
    let storage: any StorageBackend

    struct ResolveError: Error, CustomStringConvertible {
        let description: String
    }

    func resolve(namespace: String, name: String, port: Int) async throws -> (String, Int) {
        guard let kv = try await storage.get("/registry/services/specs/\(namespace)/\(name)"),
              let service = try? JSONParser.parse(kv.value) else {
            throw ResolveError(description: "service \"\(name)\" not found")
        }
        let type = service[path: ["spec", "type"]]?.string ?? "ClusterIP"
        guard ["ClusterIP", "NodePort", "LoadBalancer"].contains(type) else {
            throw ResolveError(description: "unsupported service type \"\(type)\"")
        }
        guard let servicePort = (service[path: ["spec", "ports"]]?.array ?? []).first(where: { $0["port"]?.int == Int64(port) }) else {
            throw ResolveError(description: "no service port \(port) found for service \"\(name)\"")
        }
        let portName = servicePort["name"]?.string ?? ""
        var candidates: [(String, Int)] = []
        if let kv = try await storage.get("/registry/services/endpoints/\(namespace)/\(name)"), let endpoints = try? JSONParser.parse(kv.value) {
            for subset in endpoints["subsets"]?.array ?? [] {
                guard let p = (subset["ports"]?.array ?? []).first(where: { ($0["name"]?.string ?? "") == portName }),
                      let number = p["port"]?.int, (1...65535).contains(number) else { continue }
                let addresses = (subset["addresses"]?.array ?? []).compactMap { $0["ip"]?.string }
                candidates = addresses.map { ($0, Int(number)) }
                if !candidates.isEmpty { break }
            }
        } else {
            let slices = try await storage.range(prefix: "/registry/endpointslices/\(namespace)/", startAfter: nil, limit: 0)
            for kv in slices.kvs {
                guard let slice = try? JSONParser.parse(kv.value), slice.metaLabels["kubernetes.io/service-name"] == name,
                      let p = (slice["ports"]?.array ?? []).first(where: { ($0["name"]?.string ?? "") == portName }),
                      let number = p["port"]?.int, (1...65535).contains(number) else { continue }
                for endpoint in slice["endpoints"]?.array ?? [] where endpoint[path: ["conditions", "ready"]]?.bool ?? true {
                    candidates += (endpoint["addresses"]?.array ?? []).compactMap(\.string).map { ($0, Int(number)) }
                }
            }
        }
        guard let chosen = candidates.randomElement() else {
            throw ResolveError(description: "no endpoints available for service \"\(name)\"")
        }
        return chosen
    }
}
