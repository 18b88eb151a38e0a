import KubeStreams
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Relays a streaming request to the container runtime's streaming server (containerd's, at the URL CRI
/// GetExec/GetAttach/GetPortForward returned): the request is sent on with the URL's path, and once upgraded the
/// bytes are copied both ways (port-forward's SPDY, a SPDY exec client). containerd 1.6 speaks WebSocket
/// `v4.channel.k8s.io` but not v5, so a WebSocket offer passed on has v5 taken out (WebSocket exec and attach
/// normally go through `RuntimeExecTranslator` instead).
struct RuntimeStreamRelay {
    let logger: Logger

    struct Endpoint: Equatable {
        var tls: Bool
        var host: String
        var port: Int
        var path: String
    }

    /// `http[s]://host[:port]/path?query`; nil when it does not parse.
    static func endpoint(_ url: String) -> Endpoint? {
        let tls: Bool
        var rest: Substring
        if url.hasPrefix("https://") { tls = true; rest = url.dropFirst(8) } else if url.hasPrefix("http://") { tls = false; rest = url.dropFirst(7) } else { return nil }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        rest = rest.dropFirst(authority.count)
        var host = String(authority)
        var port = tls ? 443 : 80
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { return nil }; port = p }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { return nil }
            port = p
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
        return Endpoint(tls: tls, host: host, port: port, path: rest.isEmpty ? "/" : String(rest))
    }

    /// The request head sent to the runtime: the URL's path, the client's upgrade headers, v5 left out.
    static func requestHead(_ head: HTTPRequestHead, endpoint: Endpoint) -> [UInt8] {
        var headers: [(String, String)] = [("Host", endpoint.port == (endpoint.tls ? 443 : 80) ? endpoint.host : "\(endpoint.host):\(endpoint.port)")]
        for header in head.headers {
            switch header.name.lowercased() {
            case "host", "authorization", "content-length", "transfer-encoding": continue
            case "sec-websocket-protocol":
                let offered = header.value.split(separator: ",").map { String($0.filter { $0 != " " }) }.filter { $0 != RemoteCommand.v5 }
                if !offered.isEmpty { headers.append((header.name, offered.joined(separator: ", "))) }
            default: headers.append((header.name, header.value))
            }
        }
        return HTTPHead(startLine: "\(head.method.rawValue) \(endpoint.path) HTTP/1.1", headers: headers, rest: []).serialized
    }

    func relay(head: HTTPRequestHead, to url: String, client: RawConnection) async {
        guard let endpoint = Self.endpoint(url) else {
            logger.warning("container runtime returned a streaming URL that does not parse", metadata: ["url": "\(url)"])
            try? await client.write(HTTPHead.response(status: 500, headers: [("Content-Type", "text/plain; charset=utf-8")],
                                                      body: Array("invalid streaming URL from the container runtime".utf8)))
            client.close()
            return
        }
        let runtime: RawConnection
        do {
            var tls: TLSConfiguration?
            if endpoint.tls {
                var configuration = TLSConfiguration.makeClientConfiguration()
                configuration.certificateVerification = .none
                tls = configuration
            }
            runtime = try await RawConnection.connect(host: endpoint.host, port: endpoint.port, tls: tls)
        } catch {
            try? await client.write(HTTPHead.response(status: 500, headers: [("Content-Type", "text/plain; charset=utf-8")],
                                                      body: Array("error dialing the container runtime's streaming server: \(error)".utf8)))
            client.close()
            return
        }
        await RawConnection.splice(client, runtime, aPrefix: Self.requestHead(head, endpoint: endpoint))
    }
}
