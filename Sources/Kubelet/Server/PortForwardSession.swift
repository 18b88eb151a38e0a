import KubeStreams
import Logging
import NIOCore

/// `kubectl port-forward` to a host-process pod, upstream's SPDY/3.1 `portforward.k8s.io` protocol: per forwarded
/// connection the client opens an error stream and a data stream with the same `requestID` and `port` headers; the
/// data stream is spliced to 127.0.0.1:port (a host-process pod shares the node's network) and a failure is written
/// on the error stream. Both streams are answered with SYN_REPLY and closed with FIN when the connection ends.
struct PortForwardSession {
    static let protocolName = "portforward.k8s.io"

    let connection: RawConnection
    let pod: KubeletPod
    let logger: Logger

    func run() async {
        var reader = SPDYFrame.Reader()
        let inflater = SPDYHeaderInflater()
        let deflater = SPDYHeaderDeflater()
        var errorStreams: [String: UInt32] = [:]
        var toTarget: [UInt32: AsyncStream<[UInt8]>.Continuation] = [:]
        let connection = self.connection
        await withTaskGroup(of: Void.self) { group in
            reading: for await var chunk in connection.inbound {
                reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
                while true {
                    let frame: SPDYFrame?
                    do { frame = try reader.next() } catch {
                        logger.info("port-forward: \(error)")
                        break reading
                    }
                    guard let frame else { break }
                    switch frame {
                    case .synStream(let id, let flags, let block):
                        let headers: [(String, String)]
                        do { headers = try SPDYHeaderBlock.decode(try inflater.inflate(block)) } catch {
                            logger.info("port-forward: \(error)")
                            break reading
                        }
                        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
                        let requestID = header("requestid") ?? ""
                        let reply = (try? deflater.deflate(SPDYHeaderBlock.encode([]))) ?? []
                        try? await connection.write(SPDYFrame.synReply(streamID: id, flags: 0, headerBlock: reply).encoded)
                        switch header("streamtype") {
                        case "error":
                            errorStreams[requestID] = id
                        case "data":
                            let errorStream = errorStreams[requestID]
                            guard let portText = header("port"), let port = Int(portText), (1...65535).contains(port) else {
                                await Self.fail(connection, errorStream, "invalid port header \"\(header("port") ?? "")\"", dataStream: id)
                                continue
                            }
                            let (stream, continuation) = AsyncStream<[UInt8]>.makeStream()
                            if flags & SPDYFrame.flagFin != 0 { continuation.finish() }
                            toTarget[id] = continuation
                            let pod = self.pod
                            group.addTask {
                                await Self.forward(connection, port: port, dataStream: id, errorStream: errorStream, pod: pod, fromClient: stream)
                            }
                        default:
                            continue
                        }
                    case .data(let id, let flags, let payload):
                        if !payload.isEmpty { toTarget[id]?.yield(payload) }
                        if flags & SPDYFrame.flagFin != 0 { toTarget.removeValue(forKey: id)?.finish() }
                    case .rstStream(let id, _):
                        toTarget.removeValue(forKey: id)?.finish()
                    case .ping(let id):
                        try? await connection.write(SPDYFrame.ping(id: id).encoded)
                    case .goAway:
                        break reading
                    default:
                        continue
                    }
                }
            }
            for continuation in toTarget.values { continuation.finish() }
            connection.close()
            group.cancelAll()
        }
    }

    /// Writes a failure on the error stream (upstream's wording) and closes the pair.
    static func fail(_ connection: RawConnection, _ errorStream: UInt32?, _ message: String, dataStream: UInt32) async {
        if let errorStream {
            try? await connection.write(SPDYFrame.data(streamID: errorStream, flags: 0, payload: Array(message.utf8)).encoded)
            try? await connection.write(SPDYFrame.data(streamID: errorStream, flags: SPDYFrame.flagFin, payload: []).encoded)
        }
        try? await connection.write(SPDYFrame.data(streamID: dataStream, flags: SPDYFrame.flagFin, payload: []).encoded)
    }

    static func forward(_ connection: RawConnection, port: Int, dataStream: UInt32, errorStream: UInt32?, pod: KubeletPod,
                        fromClient: AsyncStream<[UInt8]>) async {
        let target: RawConnection
        do {
            target = try await RawConnection.connect(host: "127.0.0.1", port: port, tls: nil)
        } catch {
            await fail(connection, errorStream,
                       "error forwarding port \(port) to pod \(pod.name), uid \(pod.uid): dial tcp4 127.0.0.1:\(port): connect: connection refused",
                       dataStream: dataStream)
            return
        }
        // The client's FIN half-closes the target's side (a request sent, its answer still to come); the target
        // ending its side ends the pair.
        let upload = Task {
            for await bytes in fromClient { do { try await target.write(bytes) } catch { break } }
            target.closeOutput()
        }
        for await var chunk in target.inbound {
            let bytes = chunk.readBytes(length: chunk.readableBytes) ?? []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + 32 * 1024)
                try? await connection.write(SPDYFrame.data(streamID: dataStream, flags: 0, payload: Array(bytes[offset..<end])).encoded)
                offset = end
            }
        }
        upload.cancel()
        target.close()
        try? await connection.write(SPDYFrame.data(streamID: dataStream, flags: SPDYFrame.flagFin, payload: []).encoded)
        if let errorStream {
            try? await connection.write(SPDYFrame.data(streamID: errorStream, flags: SPDYFrame.flagFin, payload: []).encoded)
        }
    }
}
