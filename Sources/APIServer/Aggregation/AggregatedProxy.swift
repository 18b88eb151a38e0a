import KubeAPI
import KubeJSON

/// Upstream's proxy handler: a request for a remote group/version goes to an endpoint of its Service as the
/// authenticated (or impersonated) user, named in `X-Remote-*` headers that the backend trusts because the
/// connection presents the front-proxy client certificate. The user's own credentials are not passed on.
extension APIAggregator {
    /// Headers the backend must not receive from the client: its credentials, identity claims only the aggregator
    /// may make, and hop-by-hop headers of this connection.
    static func forwarded(_ headers: [(String, String)]) -> [(String, String)] {
        let hopByHop: Set<String> = ["authorization", "connection", "keep-alive", "proxy-authorization", "proxy-connection",
                                     "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length"]
        return headers.filter { name, _ in
            let lower = name.lowercased()
            return !hopByHop.contains(lower) && !lower.hasPrefix(":") && !lower.hasPrefix("impersonate-")
                && !lower.hasPrefix("x-remote-")
        }
    }

    /// `X-Remote-User`, one `X-Remote-Group` per group, one `X-Remote-Extra-<key>` per extra value (client-go's
    /// auth-proxy round tripper: fixed names, the key percent-encoded where a header name cannot carry it).
    static func identityHeaders(_ user: UserInfo) -> [(String, String)] {
        var headers: [(String, String)] = [("X-Remote-User", user.name)]
        for group in user.groups { headers.append(("X-Remote-Group", group)) }
        for (key, values) in user.extra.sorted(by: { $0.key < $1.key }) {
            for value in values { headers.append(("X-Remote-Extra-" + escapeExtraKey(key), value)) }
        }
        return headers
    }

    static func escapeExtraKey(_ key: String) -> String {
        let legal = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-!#$&'*+.^_`|~".utf8)
        var out = ""
        for byte in key.utf8 {
            if legal.contains(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The response for a request under `/apis/<group>/<version>` of a remote APIService; nil for any other.
    func proxy(_ request: APIRequest, server: APIServer) async -> APIResponse? {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.count >= 3, parts[0] == "apis", let apiService = remote(group: String(parts[1]), version: String(parts[2])),
              let ref = apiService.spec.service else { return nil }
        guard apiService.isAvailable else { return .text("service unavailable\n", status: 503) }
        let target: (host: String, port: Int)
        do { target = try await ServiceResolver(server: server).resolve(ref) } catch {
            logger.error("error resolving \(ref.namespace)/\(ref.name): \(error)")
            return .text("service unavailable\n", status: 503)
        }
        guard let transport else { return .text("no aggregator client certificate (--proxy-client-cert-file)\n", status: 503) }
        let endpoint = AggregatedEndpoint(host: target.host, port: target.port, serverName: "\(ref.name).\(ref.namespace).svc",
                                          caBundle: apiService.spec.caBundle.flatMap { Base64.decode($0) },
                                          insecureSkipTLSVerify: apiService.spec.insecureSkipTLSVerify)
        let path = request.rawQuery.isEmpty ? request.path : request.path + "?" + request.rawQuery
        let headers = Self.forwarded(request.headers) + Self.identityHeaders(request.user)
        let response: AggregatedResponse
        do {
            response = try await transport.send(to: endpoint, method: request.method, path: path, headers: headers,
                                                body: request.body, timeout: nil)
        } catch {
            logger.warning("proxying \(request.method) \(request.path) to \(endpoint.url): \(error)")
            return .text("Error trying to reach service: '\(error)'\n", status: 503)
        }
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
        let relay = Task {
            do { for try await chunk in response.body { continuation.yield(chunk) } } catch {}
            continuation.finish()
        }
        continuation.onTermination = { _ in relay.cancel() }
        let hopByHop: Set<String> = ["connection", "keep-alive", "transfer-encoding", "content-length", "trailer", "upgrade"]
        let headersBack = response.headers.filter { !hopByHop.contains($0.0.lowercased()) }
        return APIResponse(status: response.status, headers: headersBack, body: .stream(stream))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
