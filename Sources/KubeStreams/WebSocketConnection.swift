import NIOCore

/// A WebSocket over a raw connection: messages read (pings answered, a close ends the stream) and messages sent;
/// `client` masks what it sends, as RFC 6455 requires of clients.
public final class WebSocketConnection: Sendable {
    public let raw: RawConnection
    let client: Bool

    public init(_ raw: RawConnection, client: Bool = false, leftover: [UInt8] = []) {
        self.raw = raw
        self.client = client
        self.leftover = leftover
    }

    let leftover: [UInt8]

    public func send(_ opcode: WebSocket.Opcode, _ payload: [UInt8]) async throws {
        let mask: [UInt8]? = client ? (0..<4).map { _ in UInt8.random(in: 0...255) } : nil
        try await raw.write(WebSocket.encode(WebSocket.Frame(opcode: opcode, payload: payload), mask: mask))
    }

    /// A binary message on a channel of the remote command protocol.
    public func send(channel: UInt8, _ data: [UInt8]) async throws {
        try await send(.binary, [channel] + data)
    }

    /// Sends a close frame (normal closure) and closes the connection.
    public func close() async {
        try? await send(.close, [0x03, 0xE8])
        raw.close()
    }

    /// The data messages (binary and text) until the peer closes or the connection ends. Read as they are asked
    /// for, so a reader that waits (a command not reading its stdin) makes the connection stop reading too.
    public func messages() -> Messages { Messages(connection: self) }

    public struct Messages: AsyncSequence, Sendable {
        let connection: WebSocketConnection

        public struct AsyncIterator: AsyncIteratorProtocol {
            let connection: WebSocketConnection
            var reader = WebSocket.MessageReader()
            var chunks: RawConnection.Inbound.AsyncIterator
            var done = false

            public mutating func next() async -> (WebSocket.Opcode, [UInt8])? {
                while !done {
                    do {
                        while let event = try reader.next() {
                            switch event {
                            case .message(let opcode, let payload): return (opcode, payload)
                            case .ping(let payload): try? await connection.send(.pong, payload)
                            case .close:
                                done = true
                                return nil
                            }
                        }
                    } catch {
                        done = true
                        return nil
                    }
                    guard var chunk = await chunks.next() else {
                        done = true
                        return nil
                    }
                    reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
                }
                return nil
            }
        }

        public func makeAsyncIterator() -> AsyncIterator {
            var reader = WebSocket.MessageReader()
            reader.feed(connection.leftover)
            return AsyncIterator(connection: connection, reader: reader, chunks: connection.raw.inbound.makeAsyncIterator())
        }
    }
}
