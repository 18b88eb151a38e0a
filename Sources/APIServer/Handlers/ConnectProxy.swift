import KubeAPI
import KubeJSON

/// Where a `proxy` subresource request goes: a pod's address, an endpoint of a Service, or a node's kubelet.
public struct ProxyLocation: Sendable, Equatable {
    /// `http` or `https`.
    public var scheme: String
    public var host: String
    /// nil: the scheme's own port (a pod without a declared port).
    public var port: Int?
    /// Whether the connection presents the apiserver's kubelet client certificate (`--kubelet-client-certificate`):
    /// only for a node's kubelet port, as upstream's kubelet transport.
    public var kubeletCredentials: Bool

    public init(scheme: String, host: String, port: Int?, kubeletCredentials: Bool = false) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.kubeletCredentials = kubeletCredentials
    }

    /// `http://10.0.0.5:8080`, as upstream's messages print a location.
    public var url: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(h)" + (port.map { ":\($0)" } ?? "")
    }
}

/// The apiserver's connection for `pods/proxy`, `services/proxy` and `nodes/proxy` (upstream's proxy transport,
/// and its kubelet transport for a node's kubelet port); it lives beside the HTTP server (APIServerHTTP).
public protocol ConnectTransport: Sendable {
    /// Sends one request and hands the response body on as it arrives. A failure to connect is thrown worded as Go's
    /// dialer words it (`dial tcp 10.0.0.5:80: connect: connection refused`).
    func send(to location: ProxyLocation, method: String, path: String, headers: [(String, String)],
              body: [UInt8]) async throws -> AggregatedResponse
}

/// Upstream's `[scheme:]name[:port]` of a proxy request's name (`SplitSchemeNamePort`); nil when it does not parse.
struct SchemeNamePort: Equatable {
    var scheme: String
    var name: String
    var port: String
}

extension SchemeNamePort {
    init?(_ id: String) {
        let parts = id.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: (scheme, name, port) = ("", parts[0], "")
        case 2: (scheme, name, port) = ("", parts[0], parts[1])
        case 3: (scheme, name, port) = (parts[0], parts[1], parts[2])
        default: return nil
        }
        guard !name.isEmpty, ["", "http", "https"].contains(scheme) else { return nil }
    }
}

/// `GET|POST|PUT|PATCH|DELETE …/pods|services|nodes/<[scheme:]name[:port]>/proxy/<path>`: the request passed on to
/// the resolved location as upstream's upgrade-aware proxy handler does (every verb, the path after `/proxy`, the
/// query; the response streamed back with its own status and headers).
extension ResourceHandler {
    func connectProxy() async throws -> APIResponse {
        guard let id = SchemeNamePort(info.name) else {
            throw StatusError.badRequest("invalid \(def.singular) request \"\(info.name)\"")
        }
        let location: ProxyLocation
        switch def.resource {
        case "pods": location = try await podLocation(id)
        case "services": location = try await serviceLocation(id)
        default: location = try await nodeLocation(id)
        }
        guard let transport = server.proxyTransport else {
            throw StatusError.serviceUnavailable("proxying is not available in this kube-apiserver")
        }
        let (prefix, path) = proxyPath()
        // An empty path is redirected to one ending in `/` (upstream's `proxyRedirectsforRootPath`), for reads only.
        if path.isEmpty, ["GET", "HEAD"].contains(request.method) {
            let location = request.path + "/" + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
            return APIResponse(status: 301, headers: [("location", location)], body: .bytes([]))
        }
        let target = (path.isEmpty ? "/" : path) + (request.rawQuery.isEmpty ? "" : "?" + request.rawQuery)
        // The user's credentials stay here (upstream's authentication filter drops the Authorization header).
        var headers = APIAggregator.forwarded(request.headers)
        headers.append(("X-Forwarded-Uri", request.path))
        if let host = request.header("host") ?? request.header(":authority") { headers.append(("X-Forwarded-Host", host)) }
        headers.append(("X-Forwarded-Proto", "https"))
        let response: AggregatedResponse
        do {
            response = try await transport.send(to: location, method: request.method, path: target, headers: headers, body: request.body)
        } catch {
            throw StatusError.serviceUnavailable("error trying to reach service: \(error)")
        }
        let dropped: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length", "trailer", "upgrade",
                                    "access-control-allow-credentials", "access-control-allow-headers",
                                    "access-control-allow-methods", "access-control-allow-origin"]
        var headersBack: [(String, String)] = []
        for (name, value) in response.headers where !dropped.contains(name.lowercased()) {
            headersBack.append(name.lowercased() == "location" ? (name, Self.rewriteRedirect(value, location: location, prefix: prefix)) : (name, value))
        }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let relay = Task {
            do { for try await chunk in response.body { continuation.yield(chunk) } } catch {}
            continuation.finish()
        }
        continuation.onTermination = { _ in relay.cancel() }
        return APIResponse(status: response.status, headers: headersBack, body: .stream(stream))
    }

    /// The request path up to and including `/proxy`, and what follows it (`""` when nothing does), as sent.
    func proxyPath() -> (prefix: String, path: String) {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false)
        // "", api|apis, [group], version, [namespaces, ns], resource, name, proxy
        let count = 2 + (info.apiPrefix == "apis" ? 1 : 0) + 1 + (def.namespaced ? 2 : 0) + 3
        guard segments.count > count else { return (request.path, "") }
        return (segments.prefix(count).joined(separator: "/"), "/" + segments.dropFirst(count).joined(separator: "/"))
    }

    /// A backend's redirect to a path of its own goes through the proxy again (upstream's `rewriteURL`): an absolute
    /// path, or a URL naming the backend itself, gets the proxy prefix; any other location is left alone.
    static func rewriteRedirect(_ value: String, location: ProxyLocation, prefix: String) -> String {
        var path = value
        if let schemeEnd = value.range(of: "://") {
            let rest = value[schemeEnd.upperBound...]
            let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            let backend = location.url.dropFirst(location.scheme.count + 3)
            guard host == backend || host == location.host else { return value }
            path = String(rest.dropFirst(host.count))
            if path.isEmpty { path = "/" }
        }
        guard path.hasPrefix("/"), !path.hasPrefix(prefix + "/") else { return value }
        return prefix + path
    }

    /// upstream's pod ResourceLocation: the pod's IP, the port asked for or the first one a container declares.
    func podLocation(_ id: SchemeNamePort) async throws -> ProxyLocation {
        let pod = try await store.get(namespace: namespace, name: id.name)
        var port = id.port
        if port.isEmpty {
            for container in pod[path: ["spec", "containers"]]?.array ?? [] {
                if let first = container["ports"]?.array?.first?["containerPort"]?.int { port = String(first); break }
            }
        }
        let ip = pod[path: ["status", "podIP"]]?.string ?? ""
        guard ProxyAddress.isGlobalUnicast(ip) else { throw StatusError.badRequest("address not allowed") }
        return ProxyLocation(scheme: id.scheme.isEmpty ? "http" : id.scheme, host: ip, port: try Self.portNumber(port))
    }

    /// upstream's service ResourceLocation: a port number is the Service port of that number (by its name), then a
    /// random ready address of the Endpoints with a port of that name, whose pod still has that IP.
    func serviceLocation(_ id: SchemeNamePort) async throws -> ProxyLocation {
        var portName = id.port
        if let number = Int64(id.port) {
            let service = try await store.get(namespace: namespace, name: id.name)
            guard let match = (service[path: ["spec", "ports"]]?.array ?? []).first(where: { $0["port"]?.int == number }) else {
                throw StatusError.serviceUnavailable("no service port \(number) found for service \"\(id.name)\"")
            }
            portName = match["name"]?.string ?? ""
        }
        guard let endpointsStore = server.store("", "v1", "endpoints"), let pods = server.store("", "v1", "pods") else {
            throw StatusError.notFoundPath()
        }
        let endpoints = try await endpointsStore.get(namespace: namespace, name: id.name)
        let subsets = endpoints["subsets"]?.array ?? []
        guard !subsets.isEmpty else { throw StatusError.serviceUnavailable("no endpoints available for service \"\(id.name)\"") }
        let start = Int.random(in: 0..<subsets.count)
        for offset in 0..<subsets.count {
            let subset = subsets[(start + offset) % subsets.count]
            let addresses = subset["addresses"]?.array ?? []
            guard !addresses.isEmpty else { continue }
            for port in subset["ports"]?.array ?? [] where (port["name"]?.string ?? "") == portName {
                let first = Int.random(in: 0..<addresses.count)
                for attempt in 0..<addresses.count {
                    let address = addresses[(first + attempt) % addresses.count]
                    guard let ip = address["ip"]?.string,
                          await Self.addressIsPod(address, ip: ip, namespace: namespace, pods: pods) else {
                        server.logger.info("skipping endpoint address of service \(namespace)/\(id.name): not a pod with that IP",
                                           metadata: ["address": "\(address)"])
                        continue
                    }
                    return ProxyLocation(scheme: id.scheme.isEmpty ? "http" : id.scheme, host: ip,
                                         port: try Self.portNumber(String(port["port"]?.int ?? 0)))
                }
            }
        }
        throw StatusError.serviceUnavailable("no endpoints available for service \"\(info.name)\"")
    }

    /// upstream's isValidAddress: the address names a pod of this namespace that still has that IP.
    static func addressIsPod(_ address: JSONValue, ip: String, namespace: String, pods: GenericStore) async -> Bool {
        guard let target = address["targetRef"], target["kind"]?.string == "Pod", target["namespace"]?.string == namespace,
              let name = target["name"]?.string,
              let pod = try? await pods.get(namespace: namespace, name: name) else { return false }
        let ips = (pod[path: ["status", "podIPs"]]?.array ?? []).compactMap { $0["ip"]?.string }
        return ips.contains(ip) || pod[path: ["status", "podIP"]]?.string == ip
    }

    /// upstream's node ResourceLocation: the kubelet's port (https, with the kubelet client certificate) unless
    /// another port is asked for, which goes with the scheme asked for and no client certificate.
    func nodeLocation(_ id: SchemeNamePort) async throws -> ProxyLocation {
        let (host, kubeletPort) = try await kubeletEndpoint(node: id.name)
        guard ProxyAddress.isGlobalUnicast(host) else { throw StatusError.badRequest("address not allowed") }
        if id.port.isEmpty || id.port == String(kubeletPort) {
            return ProxyLocation(scheme: "https", host: host, port: kubeletPort, kubeletCredentials: true)
        }
        return ProxyLocation(scheme: id.scheme.isEmpty ? "http" : id.scheme, host: host, port: try Self.portNumber(id.port))
    }

    /// A port as a URL would carry it: empty is the scheme's default, anything else a number a socket can have.
    static func portNumber(_ text: String) throws -> Int? {
        if text.isEmpty { return nil }
        guard let n = Int(text), (1...65535).contains(n) else {
            throw StatusError.badRequest("invalid port \"\(text)\"")
        }
        return n
    }
}

/// Go's `net.IP.IsGlobalUnicast` for the proxy's address check: not unspecified, loopback, link-local, multicast or
/// the IPv4 broadcast address (so a pod or node cannot be made to point the apiserver at itself).
enum ProxyAddress {
    static func isGlobalUnicast(_ address: String) -> Bool {
        if let v4 = IPv4Range.parseAddress(address) {
            let first = v4 >> 24
            if v4 == 0 || v4 == 0xFFFF_FFFF || first == 127 || (224...239).contains(first) { return false }
            if v4 >> 16 == 0xA9FE { return false }   // 169.254/16
            return true
        }
        let lower = address.lowercased()
        guard lower.contains(":"), lower.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        if lower == "::" || lower == "::1" || lower.hasPrefix("ff") { return false }
        if ["fe8", "fe9", "fea", "feb"].contains(where: { lower.hasPrefix($0) }) { return false }
        if lower.hasPrefix("::ffff:") { return isGlobalUnicast(String(lower.dropFirst(7))) }
        return true
    }
}
