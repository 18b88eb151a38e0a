import APIServer
import KubeStreams
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

/// Takes over an HTTP/1.1 connection for `pods/exec`, `pods/attach` and `pods/portforward` and proxies it to the
/// kubelet with the apiserver's kubelet client certificate, as upstream's upgrade-aware proxy: the request goes on
/// with the kubelet's path and the client's upgrade headers (not its credentials), and the kubelet's answer — a
/// 101 and the upgraded stream, or an error — comes back as the kubelet sent it. A port-forward client that tunnels
/// SPDY in WebSocket (`SPDY/3.1+portforward.k8s.io`, kubectl's default since 1.31) is unwrapped here: the kubelet
/// is asked for plain SPDY and the SPDY bytes travel in binary WebSocket messages to the client.
struct StreamUpgradeProxy {
    static let tunnelProtocolPrefix = "SPDY/3.1+"

    let kubelets: KubeletClient
    let logger: Logger

    func tlsConfiguration() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        // As upstream without --kubelet-certificate-authority: the kubelet's serving certificate is not verified.
        tls.certificateVerification = .none
        tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(kubelets.certificatePEM.utf8)).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(kubelets.keyPEM.utf8), format: .pem))
        tls.applicationProtocols = ["http/1.1"]
        return tls
    }

    func proxy(head: HTTPRequestHead, upgrade: StreamUpgrade, channel: any Channel) async {
        let client: RawConnection
        do { client = try await RawConnection.hijack(channel) } catch {
            logger.debug("stream upgrade: could not take over the connection: \(error)")
            return
        }
        let headers = head.headers.map { ($0.name, $0.value) }
        let kubelet: RawConnection
        do {
            kubelet = try await RawConnection.connect(host: upgrade.host, port: upgrade.port, tls: try tlsConfiguration())
        } catch {
            let status = StatusError.internalError("error dialing backend: dial tcp \(upgrade.host):\(upgrade.port): \(error)")
            try? await client.write(HTTPHead.response(status: 500, headers: [("Content-Type", "application/json")],
                                                      body: JSONBytes.status(status)))
            client.close()
            return
        }
        let hostHeader = "\(upgrade.host.contains(":") ? "[\(upgrade.host)]" : upgrade.host):\(upgrade.port)"
        let tunnel = WebSocket.offeredProtocols(headers).first { $0.hasPrefix(Self.tunnelProtocolPrefix) }
        if upgrade.isPortForward, WebSocket.isUpgrade(headers), let tunnel,
           let key = headers.first(where: { $0.0.lowercased() == "sec-websocket-key" })?.1 {
            await self.tunnel(client: client, kubelet: kubelet, upgrade: upgrade, host: hostHeader, key: key, chosen: tunnel)
            return
        }
        var forwarded: [(String, String)] = [("Host", hostHeader)]
        for (name, value) in headers {
            let lower = name.lowercased()
            if lower == "host" || lower == "authorization" || lower.hasPrefix("impersonate-") { continue }
            forwarded.append((name, value))
        }
        let requestHead = HTTPHead(startLine: "\(head.method.rawValue) \(upgrade.path) HTTP/1.1", headers: forwarded, rest: []).serialized
        await RawConnection.splice(client, kubelet, aPrefix: requestHead)
    }

    /// SPDY to the kubelet, carried in WebSocket binary messages to the client.
    func tunnel(client: RawConnection, kubelet: RawConnection, upgrade: StreamUpgrade, host: String, key: String, chosen: String) async {
        let spdyProtocol = String(chosen.dropFirst(Self.tunnelProtocolPrefix.count))
        let request = HTTPHead(startLine: "POST \(upgrade.path) HTTP/1.1",
                               headers: [("Host", host), ("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                         ("X-Stream-Protocol-Version", spdyProtocol), ("Content-Length", "0")], rest: [])
        do { try await kubelet.write(request.serialized) } catch {
            client.close()
            kubelet.close()
            return
        }
        var fromKubelet = kubelet.inbound.makeAsyncIterator()
        guard let answer = await HTTPHead.read(from: &fromKubelet) else {
            try? await client.write(HTTPHead.response(status: 502, headers: [], body: Array("the kubelet closed the connection".utf8)))
            client.close()
            kubelet.close()
            return
        }
        guard answer.status == 101 else {
            // The kubelet's refusal goes to the client as it is; kubectl falls back to plain SPDY and shows it.
            try? await client.write(answer.serialized + answer.rest)
            while var chunk = await fromKubelet.next() {
                if (try? await client.write(chunk.readBytes(length: chunk.readableBytes) ?? [])) == nil { break }
            }
            client.close()
            kubelet.close()
            return
        }
        do { try await client.write(WebSocket.switchingProtocols(key: key, protocol: chosen)) } catch {
            client.close()
            kubelet.close()
            return
        }
        let socket = WebSocketConnection(client)
        let upload = Task {
            for await (_, payload) in socket.messages() {
                if (try? await kubelet.write(payload)) == nil { break }
            }
            kubelet.close()
        }
        if !answer.rest.isEmpty { try? await socket.send(.binary, answer.rest) }
        while var chunk = await fromKubelet.next() {
            if (try? await socket.send(.binary, chunk.readBytes(length: chunk.readableBytes) ?? [])) == nil { break }
        }
        upload.cancel()
        await socket.close()
        kubelet.close()
    }
}

enum JSONBytes {
    static func status(_ error: StatusError) -> [UInt8] {
        if case .bytes(let bytes) = APIResponse.error(error).body { return bytes }
        return []
    }
}
