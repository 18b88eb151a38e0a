import KubeAPI
import KubeJSON
import KubeStreams
import Logging
import NIOCore
import NIOHTTP1

/// `/exec`, `/attach`, `/portForward` and `/run` of the kubelet API. A host-process pod's session is served here
/// (`HostExecSession`, `HostAttachSession`, `PortForwardSession`); a pod of the container runtime goes to the
/// runtime's streaming server: WebSocket exec and attach translated to its SPDY (`RuntimeExecTranslator`), anything
/// else (port-forward, SPDY clients) relayed as it is (`RuntimeStreamRelay`).
extension KubeletServer {
    static let streamingRoots: Set<String> = ["exec", "attach", "portForward", "run"]

    /// Query parameters with repeats kept (`command` is given once per argument).
    static func multiQuery(_ uri: String) -> [String: [String]] {
        var out: [String: [String]] = [:]
        guard let q = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return out }
        for pair in q.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map { QueryEscaping.unescape($0) }
            out[kv[0], default: []].append(kv.count > 1 ? kv[1] : "")
        }
        return out
    }

    static func truthy(_ values: [String]?) -> Bool {
        guard let v = values?.first else { return false }
        return ["1", "true", "True", "t", "TRUE"].contains(v)
    }

    /// The request as the runtime is asked about it; nil when the path does not name one.
    static func streamRequest(segments: [String], query: [String: [String]]) -> StreamRequest? {
        guard let root = segments.first else { return nil }
        switch root {
        case "exec", "attach", "run":
            // /exec/{ns}/{pod}/{container} or /exec/{ns}/{pod}/{uid}/{container}
            guard segments.count == 4 || segments.count == 5, let container = segments.last else { return nil }
            let command = root == "run" ? (query["cmd"] ?? []).flatMap { $0.split(separator: " ").map(String.init) } : (query["command"] ?? [])
            return StreamRequest(kind: root == "attach" ? .attach : .exec, namespace: segments[1], pod: segments[2],
                                 podUID: segments.count == 5 ? segments[3] : "", container: container, command: command,
                                 stdin: truthy(query["input"]), stdout: root == "run" || truthy(query["output"]),
                                 stderr: root == "run" || truthy(query["error"]), tty: truthy(query["tty"]))
        case "portForward":
            guard segments.count == 3 || segments.count == 4 else { return nil }
            return StreamRequest(kind: .portForward, namespace: segments[1], pod: segments[2],
                                 podUID: segments.count == 4 ? segments[3] : "",
                                 ports: (query["port"] ?? []).compactMap { Int32($0) })
        default:
            return nil
        }
    }

    /// Serves one streaming request; false when the connection was taken over (it is closed afterwards).
    func serveStreaming(_ head: HTTPRequestHead, segments: [String], channel: any Channel,
                        outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>) async throws -> Bool {
        let query = Self.multiQuery(head.uri)
        guard let request = Self.streamRequest(segments: segments, query: query) else {
            try await send(.notFound, "404 page not found\n", outbound: outbound)
            return true
        }
        let isRun = segments[0] == "run"
        guard let target = await kubelet.streamTarget(namespace: request.namespace, pod: request.pod,
                                                      container: request.kind == .portForward ? nil : request.container) else {
            try await send(.notFound, "pod does not exist", outbound: outbound)
            return true
        }
        if request.kind != .portForward {
            guard let container = target.container, target.status?.state.isRunning == true else {
                try await send(.internalServerError, "container not found (\"\(request.container)\")", outbound: outbound)
                return true
            }
            if request.command.isEmpty, request.kind == .exec {
                try await send(.badRequest, "you must specify at least one command for the container", outbound: outbound)
                return true
            }
            if isRun {
                let output = await HostExecSession.run(request, container: container, target: target, hostname: settings.nodeName)
                try await send(output.ok ? .ok : .internalServerError, output.text, outbound: outbound)
                return true
            }
        }
        let headers = head.headers.map { ($0.name, $0.value) }
        var forwarded = request
        forwarded.podUID = target.pod.uid
        let runtimeURL: String?
        do {
            runtimeURL = try await kubelet.streamingURL(forwarded)
        } catch {
            try await send(.internalServerError, "\(error)", outbound: outbound)
            return true
        }
        if let runtimeURL {
            if request.kind != .portForward, WebSocket.isUpgrade(headers),
               let key = headers.first(where: { $0.0.lowercased() == "sec-websocket-key" })?.1,
               let chosen = RemoteCommand.negotiate(WebSocket.offeredProtocols(headers)),
               let endpoint = RuntimeStreamRelay.endpoint(runtimeURL) {
                // A WebSocket client gets the runtime's SPDY streams translated (stdin's end reaches the runtime).
                let translator = RuntimeExecTranslator(logger: logger)
                let (runtime, refusal, leftover): (RawConnection?, [UInt8]?, [UInt8])
                do { (runtime, refusal, leftover) = try await translator.connect(endpoint) } catch {
                    try await send(.internalServerError, "error dialing the container runtime's streaming server: \(error)", outbound: outbound)
                    return true
                }
                let raw = try await RawConnection.hijack(channel)
                guard let runtime else {
                    try? await raw.write(refusal ?? [])
                    raw.close()
                    return false
                }
                try await raw.write(WebSocket.switchingProtocols(key: key, protocol: chosen))
                await translator.run(request: request, socket: WebSocketConnection(raw), runtime: runtime, leftover: leftover)
                return false
            }
            let raw = try await RawConnection.hijack(channel)
            await RuntimeStreamRelay(logger: logger).relay(head: head, to: runtimeURL, client: raw)
            return false
        }
        if request.kind == .portForward {
            let protocols = headers.filter { $0.0.lowercased() == "x-stream-protocol-version" }.flatMap { $0.1.split(separator: ",").map { String($0.filter { $0 != " " }) } }
            guard headers.contains(where: { $0.0.lowercased() == "upgrade" && $0.1.lowercased().hasPrefix("spdy/3.1") }) else {
                try await send(.badRequest, "Upgrade request required", outbound: outbound)
                return true
            }
            guard protocols.isEmpty || protocols.contains(PortForwardSession.protocolName) else {
                try await send(.forbidden, "unable to upgrade: unable to negotiate protocol: client supports \(protocols), server supports [\(PortForwardSession.protocolName)]", outbound: outbound)
                return true
            }
            let raw = try await RawConnection.hijack(channel)
            try await raw.write(HTTPHead(startLine: "HTTP/1.1 101 Switching Protocols",
                                         headers: [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                                   ("X-Stream-Protocol-Version", PortForwardSession.protocolName)], rest: []).serialized)
            await PortForwardSession(connection: raw, pod: target.pod, logger: logger).run()
            return false
        }
        guard WebSocket.isUpgrade(headers), let key = headers.first(where: { $0.0.lowercased() == "sec-websocket-key" })?.1 else {
            try await send(.badRequest, "exec and attach on this kubelet are served over WebSocket (\(RemoteCommand.protocols.joined(separator: ", ")))", outbound: outbound)
            return true
        }
        guard let chosen = RemoteCommand.negotiate(WebSocket.offeredProtocols(headers)) else {
            try await send(.badRequest, "unable to upgrade: unable to negotiate protocol: client supports \(WebSocket.offeredProtocols(headers)), server supports \(RemoteCommand.protocols)", outbound: outbound)
            return true
        }
        guard let container = target.container else { return true }
        let raw = try await RawConnection.hijack(channel)
        try await raw.write(WebSocket.switchingProtocols(key: key, protocol: chosen))
        let socket = WebSocketConnection(raw)
        if request.kind == .exec {
            await HostExecSession(request: request, container: container, target: target, hostname: settings.nodeName,
                                  socket: socket, protocolName: chosen, logger: logger).run()
        } else {
            await HostAttachSession(request: request, target: target, podLogsDir: settings.podLogsDir, kubelet: kubelet,
                                    socket: socket, logger: logger).run()
        }
        return false
    }
}
