import KubeAPI
import APIServer
import NIOCore
import NIOHTTP1

/// Writes an `APIResponse` onto an HTTP/1.1 connection or an HTTP/2 stream so that it is delivered whole: every part
/// goes straight into the channel, and the last one is awaited until it has left the server (past HTTP/2 flow
/// control) before the caller may close the channel. Closing an HTTP/2 stream while DATA frames still wait for the
/// client's window resets it with CANCEL: kubectl's 4 MiB stream window made every list above 4 MiB end that way.
struct ResponseWriter {
    let channel: any Channel
    static let slice = 1 << 20

    enum Outcome {
        /// The response ended; an HTTP/1.1 connection may carry the next request.
        case complete
        /// The client went away before the response ended.
        case clientGone
    }

    func write(_ response: APIResponse, head: HTTPRequestHead) async throws -> Outcome {
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        headers.add(name: "audit-id", value: RandomNames.uuid())
        if !headers.contains(name: "cache-control") { headers.add(name: "cache-control", value: "no-cache, private") }
        let status = HTTPResponseStatus(statusCode: response.status)
        switch response.body {
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "content-length", value: String(bytes.count))
            var parts = [HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: status, headers: headers))]
            if head.method != .HEAD, !bytes.isEmpty {
                // A big body goes out a slice at a time, each copied into the channel only once the one before has
                // left: the response costs its own bytes plus one slice, not a second full copy.
                var offset = 0
                while bytes.count - offset > Self.slice {
                    parts.append(.body(.byteBuffer(channel.allocator.buffer(bytes: bytes[offset..<(offset + Self.slice)]))))
                    try await send(parts)
                    parts = []
                    offset += Self.slice
                }
                parts.append(.body(.byteBuffer(channel.allocator.buffer(bytes: bytes[offset...]))))
            }
            parts.append(.end(nil))
            try await send(parts)
            return .complete
        case .stream(let stream):
            if head.version.major < 2 { headers.replaceOrAdd(name: "transfer-encoding", value: "chunked") }
            try await channel.writeAndFlush(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: status, headers: headers))).get()
            return try await writeStream(stream)
        }
    }

    /// Writes the parts in one visit to the channel's event loop (one wake-up instead of one per part), flushing after
    /// the last, and returns once that has been written.
    private func send(_ parts: [HTTPServerResponsePart]) async throws {
        let channel = self.channel
        try await channel.eventLoop.flatSubmit {
            for part in parts.dropLast() { channel.write(part, promise: nil) }
            guard let last = parts.last else { return channel.eventLoop.makeSucceededVoidFuture() }
            return channel.writeAndFlush(last)
        }.get()
    }

    /// Copies the stream's chunks until it ends or the client leaves, whichever comes first. Writes are pipelined
    /// (no round trip to the event loop per event, which made a busy watch lag), but once the channel stops being
    /// writable, or 64 writes are outstanding, the copy waits for them: a client that reads slowly slows the
    /// producer (a watch ends a watcher that falls too far behind) instead of growing a buffer here.
    private func writeStream(_ stream: AsyncStream<[UInt8]>) async throws -> Outcome {
        let channel = self.channel
        let (closed, closedSignal) = AsyncStream<Void>.makeStream()
        channel.closeFuture.whenComplete { _ in closedSignal.finish() }
        return try await withThrowingTaskGroup(of: Outcome.self) { group in
            group.addTask {
                var last: EventLoopFuture<Void>?
                var outstanding = 0
                for await chunk in stream {
                    let written: EventLoopFuture<Void> = channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(bytes: chunk))))
                    last = written
                    outstanding += 1
                    if outstanding >= 64 || !channel.isWritable {
                        try await written.get()
                        outstanding = 0
                    }
                }
                try await last?.get()
                // Cancelled because the client left: there is nobody to end the response for.
                if Task.isCancelled { return .clientGone }
                try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
                return .complete
            }
            group.addTask {
                // Ends when the channel closes or, once the response is complete, when this task is cancelled.
                for await _ in closed {}
                return .clientGone
            }
            let first = try await group.next() ?? .clientGone
            group.cancelAll()
            return first
        }
    }
}
