import Foundation
import KubeAPI
import KubeJSON
import KubeStorage

/// Calls one webhook: resolves where it lives (its URL, or a ready endpoint of its Service as upstream's endpoint
/// service resolver does), POSTs the review with the webhook's timeout and reads at most 3 MiB of answer.
struct WebhookClient: Sendable {
    let transport: any WebhookTransport
    let storage: any StorageBackend

    /// upstream's limit on a webhook's response body.
    static let maxResponseBytes = 3 * 1024 * 1024

    /// A failure to talk to the webhook (subject to failurePolicy), worded as the text after `failed calling webhook "NAME": `.
    struct CallError: Error, CustomStringConvertible {
        let description: String
    }

    /// `?timeout=10s` as upstream tells the webhook its deadline.
    static func timeoutQuery(_ seconds: Int) -> String { "timeout=\(seconds)s" }

    func post(_ hook: AdmissionWebhook, body: [UInt8]) async throws(CallError) -> [UInt8] {
        let seconds = Int(min(max(hook.timeoutSeconds ?? 10, 1), 30))
        let (target, url) = try await resolve(hook.clientConfig, timeoutSeconds: seconds)
        let response: WebhookHTTPResponse
        do {
            response = try await transport.post(target, body: body, timeout: .seconds(seconds), maxResponseBytes: Self.maxResponseBytes)
        } catch {
            throw CallError(description: "failed to call webhook: Post \"\(url)\": \(error)")
        }
        guard response.status >= 200, response.status < 300 else {
            throw CallError(description: "failed to call webhook: \(Self.statusText(response))")
        }
        return response.body
    }

    /// What Go's REST client says of a non-2xx answer: a Status body's message, else its generic words per code.
    static func statusText(_ response: WebhookHTTPResponse) -> String {
        if let status = try? JSONParser.parse(response.body), status["kind"]?.string == "Status",
           let message = status["message"]?.string, !message.isEmpty {
            return message
        }
        let body = String(decoding: response.body.prefix(1024), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch response.status {
        case 400: return "the server rejected our request for an unknown reason"
        case 401: return "Unauthorized"
        case 403: return "forbidden"
        case 404: return "the server could not find the requested resource"
        case 500: return "an error on the server (\(goQuoted(body))) has prevented the request from succeeding"
        case 503: return "the server is currently unable to handle the request"
        case 504: return "the server was unable to return a response in the time allotted, but may still be processing the request"
        default: return "the server responded with the status code \(response.status) but did not return more information"
        }
    }

    func caPEM(_ config: WebhookClientConfig) throws(CallError) -> String? {
        guard let bundle = config.caBundle, !bundle.isEmpty else { return nil }
        guard let bytes = Base64.decode(bundle) else { throw CallError(description: "could not get REST client: caBundle is not base64") }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The target and the URL upstream's messages show.
    func resolve(_ config: WebhookClientConfig, timeoutSeconds: Int) async throws(CallError) -> (WebhookTarget, String) {
        let query = Self.timeoutQuery(timeoutSeconds)
        let ca = try caPEM(config)
        if let text = config.url {
            guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
                throw CallError(description: "could not get REST client: invalid webhook URL \(goQuoted(text))")
            }
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            let isAddress = IPv4Range.parseAddress(bare) != nil || bare.contains(":")
            let path = url.percentEncodedPath.isEmpty ? "/" : url.percentEncodedPath
            let target = WebhookTarget(host: bare, port: url.port ?? 443, pathAndQuery: "\(path)?\(query)",
                                       serverName: isAddress ? nil : bare, caPEM: ca)
            return (target, "\(text)?\(query)")
        }
        guard let service = config.service else { throw CallError(description: "could not get REST client: neither url nor service is set") }
        let port = Int(service.port ?? 443)
        var path = service.path ?? ""
        if path.isEmpty { path = "/" }
        let host = "\(service.name).\(service.namespace).svc"
        let url = "https://\(host):\(port)\(path)?\(query)"
        do {
            let (address, endpointPort) = try await ServiceEndpointResolver(storage: storage)
                .resolve(namespace: service.namespace, name: service.name, port: port)
            return (WebhookTarget(host: address, port: endpointPort, pathAndQuery: "\(path)?\(query)", serverName: host, caPEM: ca), url)
        } catch {
            throw CallError(description: "failed to call webhook: Post \"\(url)\": \(error)")
        }
    }
}

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

/// Go's %q for the plain text of messages.
func goQuoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        .replacingOccurrences(of: "\n", with: "\\n") + "\""
}
