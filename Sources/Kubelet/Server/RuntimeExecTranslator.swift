import KubeStreams
import Logging
import NIOCore
import NIOSSL

/// exec and attach of a container runtime's pod for a WebSocket client (kubectl's v5, or v4): the runtime's
/// streaming server is spoken to in SPDY (remote command v4: one SPDY stream per channel), as upstream's apiserver
/// translates. Over SPDY the client's end of stdin (v5's close channel) is a FIN on the stdin stream, which the
/// runtime's WebSocket v4 cannot carry.
struct RuntimeExecTranslator {
    let logger: Logger

    enum StreamType: String, CaseIterable { case error, stdin, stdout, stderr, resize }

    /// The SPDY streams asked for, with this client's odd stream IDs, in the order client-go opens them.
    static func streams(for request: StreamRequest) -> [(StreamType, UInt32)] {
        var types: [StreamType] = [.error]
        if request.stdin { types.append(.stdin) }
        if request.stdout { types.append(.stdout) }
        if request.stderr && !request.tty { types.append(.stderr) }
        if request.tty { types.append(.resize) }
        return types.enumerated().map { ($0.element, UInt32(2 * $0.offset + 1)) }
    }

    /// Dials the runtime and upgrades to SPDY; on a refusal, the runtime's answer (head and body) is returned for
    /// the client instead.
    func connect(_ endpoint: RuntimeStreamRelay.Endpoint) async throws -> (RawConnection?, refusal: [UInt8]?, leftover: [UInt8]) {
        var tls: TLSConfiguration?
        if endpoint.tls {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            tls = configuration
        }
        let runtime = try await RawConnection.connect(host: endpoint.host, port: endpoint.port, tls: tls)
        let hostHeader = endpoint.port == (endpoint.tls ? 443 : 80) ? endpoint.host : "\(endpoint.host):\(endpoint.port)"
        try await runtime.write(HTTPHead(startLine: "POST \(endpoint.path) HTTP/1.1",
                                         headers: [("Host", hostHeader), ("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                                   ("X-Stream-Protocol-Version", RemoteCommand.v4), ("Content-Length", "0")]).serialized)
        var inbound = runtime.inbound.makeAsyncIterator()
        guard let answer = await HTTPHead.read(from: &inbound) else {
            runtime.close()
            return (nil, HTTPHead.response(status: 500, headers: [], body: Array("the container runtime closed the connection".utf8)), [])
        }
        guard answer.status == 101 else {
            var body = answer.rest
            while body.count < 64 * 1024, var chunk = await inbound.next() { body += chunk.readBytes(length: chunk.readableBytes) ?? [] }
            runtime.close()
            let text = String(decoding: body, as: UTF8.self)
            return (nil, HTTPHead.response(status: answer.status ?? 500, headers: [("Content-Type", "text/plain; charset=utf-8")],
                                           body: Array(text.utf8)), [])
        }
        return (runtime, nil, answer.rest)
    }

    /// Copies between the client's WebSocket and the runtime's SPDY streams until the command's status came (or
    /// either side left); `leftover` is what the runtime sent right after its 101.
    func run(request: StreamRequest, socket: WebSocketConnection, runtime: RawConnection, leftover: [UInt8]) async {
        let streams = Self.streams(for: request)
        let ids = Dictionary(uniqueKeysWithValues: streams.map { ($0.0, $0.1) })
        let deflater = SPDYHeaderDeflater()
        do {
            var opening: [UInt8] = []
            for (type, id) in streams {
                let block = try deflater.deflate(SPDYHeaderBlock.encode([("streamType", type.rawValue)]))
                opening += SPDYFrame.synStream(streamID: id, flags: 0, headerBlock: block).encoded
            }
            try await runtime.write(opening)
        } catch {
            try? await socket.send(channel: RemoteCommand.error, RemoteCommand.internalError("error opening streams to the container runtime: \(error)"))
            await socket.close()
            runtime.close()
            return
        }
        let upload = Task {
            for await (_, payload) in socket.messages() {
                guard let channel = payload.first else { continue }
                let data = Array(payload.dropFirst())
                switch channel {
                case RemoteCommand.stdin:
                    if let id = ids[.stdin], !data.isEmpty { try? await runtime.write(SPDYFrame.data(streamID: id, flags: 0, payload: data).encoded) }
                case RemoteCommand.resize:
                    if let id = ids[.resize] { try? await runtime.write(SPDYFrame.data(streamID: id, flags: 0, payload: data).encoded) }
                case RemoteCommand.close:
                    if data.first == RemoteCommand.stdin, let id = ids[.stdin] {
                        try? await runtime.write(SPDYFrame.data(streamID: id, flags: SPDYFrame.flagFin, payload: []).encoded)
                    }
                default:
                    continue
                }
            }
            runtime.close()
        }
        var reader = SPDYFrame.Reader()
        reader.feed(leftover)
        var status: [UInt8] = []
        var chunks = runtime.inbound.makeAsyncIterator()
        let channels: [UInt32: UInt8] = [ids[.stdout]: RemoteCommand.stdout, ids[.stderr]: RemoteCommand.stderr]
            .reduce(into: [:]) { out, entry in if let id = entry.key { out[id] = entry.value } }
        reading: while true {
            do {
                while let frame = try reader.next() {
                    switch frame {
                    case .data(let id, let flags, let payload):
                        if let channel = channels[id], !payload.isEmpty {
                            try? await socket.send(channel: channel, payload)
                        } else if id == ids[.error] {
                            status += payload
                            if flags & SPDYFrame.flagFin != 0 { break reading }
                        }
                    case .ping(let id):
                        try? await runtime.write(SPDYFrame.ping(id: id).encoded)
                    case .goAway:
                        break reading
                    case .rstStream(let id, _) where id == ids[.error]:
                        break reading
                    default:
                        continue
                    }
                }
            } catch {
                logger.info("container runtime stream: \(error)")
                break
            }
            guard var chunk = await chunks.next() else { break }
            reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
        }
        // The runtime's Status (v4 JSON) is the client's; an empty one is a success.
        try? await socket.send(channel: RemoteCommand.error, status.isEmpty ? RemoteCommand.status(command: [], exitCode: 0) : status)
        upload.cancel()
        await socket.close()
        runtime.close()
    }
}
