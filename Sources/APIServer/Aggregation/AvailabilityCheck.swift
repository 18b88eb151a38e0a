import KubeAPI
import KubeJSON

/// One pass of upstream's APIServiceAvailability controller for one APIService: Local ones are always Available; a
/// remote one needs its Service, the Service's port, an endpoint with an address on that port's name, and an answer
/// in the 2xx range from `/apis/<group>/<version>` within 5 s. What the check fetched is the group/version's
/// discovery document.
struct AvailabilityCheck {
    let resolver: ServiceResolver
    let transport: (any AggregationTransport)?

    struct Outcome {
        var status: String
        var reason: String
        var message: String
        /// The APIResourceList the backend answered the check with.
        var resourceList: JSONValue?
        /// Where the check found the backend, for fetching its aggregated discovery.
        var endpoint: AggregatedEndpoint?
    }

    static let attempts = 3
    static let timeout: Duration = .seconds(5)

    func run(_ apiService: APIService) async -> Outcome {
        guard let ref = apiService.spec.service else {
            return Outcome(status: "True", reason: APIServiceStrategy.localCondition.reason,
                           message: APIServiceStrategy.localCondition.message)
        }
        let name = ref.name, namespace = ref.namespace
        let service: Service?
        do { service = try await resolver.service(ref) } catch {
            return Outcome(status: "Unknown", reason: "ServiceAccessError",
                           message: "service/\(name) in \"\(namespace)\" cannot be checked due to: \(error)")
        }
        guard let service else {
            return Outcome(status: "False", reason: "ServiceNotFound", message: "service/\(name) in \"\(namespace)\" is not present")
        }
        let port = ref.port ?? 443
        if service.spec.type.isEmpty || service.spec.type == "ClusterIP" {
            guard let servicePort = service.spec.ports?.first(where: { $0.port == port }) else {
                return Outcome(status: "False", reason: "ServicePortError",
                               message: "service/\(name) in \"\(namespace)\" is not listening on port \(port)")
            }
            let endpoints: Endpoints?
            do { endpoints = try await resolver.endpoints(ref) } catch {
                return Outcome(status: "Unknown", reason: "EndpointsAccessError",
                               message: "service/\(name) in \"\(namespace)\" cannot be checked due to: \(error)")
            }
            guard let endpoints else {
                return Outcome(status: "False", reason: "EndpointsNotFound",
                               message: "cannot find endpoints for service/\(name) in \"\(namespace)\"")
            }
            let active = (endpoints.subsets ?? []).contains { subset in
                !(subset.addresses ?? []).isEmpty && (subset.ports ?? []).contains { $0.name == servicePort.name }
            }
            guard active else {
                return Outcome(status: "False", reason: "MissingEndpoints",
                               message: "endpoints for service/\(name) in \"\(namespace)\" have no addresses with port name \"\(servicePort.name)\"")
            }
        }
        guard let transport else {
            return Outcome(status: "False", reason: "FailedDiscoveryCheck",
                           message: "no aggregator client: the kube-apiserver has no --proxy-client-cert-file/--proxy-client-key-file")
        }
        let path = apiService.metadata.name == "v1." ? "/api/\(apiService.spec.version)"
            : "/apis/\(apiService.spec.group)/\(apiService.spec.version)"
        var lastError = ""
        for _ in 0..<Self.attempts {
            let target: (host: String, port: Int)
            do { target = try await resolver.resolve(ref) } catch {
                lastError = "\(error)"
                continue
            }
            // As upstream's check: the serving certificate is not verified (the check only asks whether it answers).
            let endpoint = AggregatedEndpoint(host: target.host, port: target.port, serverName: "\(name).\(namespace).svc",
                                              caBundle: nil, insecureSkipTLSVerify: true)
            let url = endpoint.url + path
            do {
                let response = try await transport.send(to: endpoint, method: "GET", path: path, headers: [
                    ("Accept", "application/json"), ("X-Remote-User", "system:kube-aggregator"), ("X-Remote-Group", "system:masters"),
                ], body: [], timeout: Self.timeout)
                let body = try await response.collect()
                guard (200..<300).contains(response.status) else {
                    lastError = "failing or missing response from \(url): bad status from \(url): \(response.status)"
                    continue
                }
                var outcome = Outcome(status: "True", reason: "Passed", message: "all checks passed")
                if let list = try? JSONParser.parse(body), list["kind"]?.string == "APIResourceList" { outcome.resourceList = list }
                var verified = endpoint
                verified.caBundle = apiService.spec.caBundle.flatMap { Base64.decode($0) }
                verified.insecureSkipTLSVerify = apiService.spec.insecureSkipTLSVerify
                outcome.endpoint = verified
                return outcome
            } catch let error as AggregationTimeout {
                lastError = "timed out waiting for \(url)"
                _ = error
            } catch {
                lastError = "failing or missing response from \(url): Get \"\(url)\": \(error)"
            }
        }
        return Outcome(status: "False", reason: "FailedDiscoveryCheck", message: lastError)
    }
}

/// Thrown by a transport when the timeout given to `send` passed.
public struct AggregationTimeout: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "Client.Timeout exceeded while awaiting headers" }
}
