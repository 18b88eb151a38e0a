import Crypto
import KubeJSON
import NIOCore

/// RFC 6455 framing, as much as the streaming protocols need: binary and text messages (fragmented or not),
/// ping/pong and close. Frames from a client are masked; a server's are not.
public enum WebSocket {
    public enum Opcode: UInt8, Sendable {
        case continuation = 0, text = 1, binary = 2, close = 8, ping = 9, pong = 10
    }

    public struct Frame: Sendable, Equatable {
        public var fin: Bool
        public var opcode: Opcode
        public var payload: [UInt8]

        public init(fin: Bool = true, opcode: Opcode, payload: [UInt8]) {
            self.fin = fin
            self.opcode = opcode
            self.payload = payload
        }
    }

    /// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`.
    public static func accept(key: String) -> String {
        let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
        return Base64.encode(Array(digest))
    }

    /// Whether a request head asks for a WebSocket upgrade.
    public static func isUpgrade(_ headers: [(String, String)]) -> Bool {
        headers.contains { $0.0.lowercased() == "upgrade" && $0.1.lowercased() == "websocket" }
    }

    /// The subprotocols a client offers, in its order of preference.
    public static func offeredProtocols(_ headers: [(String, String)]) -> [String] {
        headers.filter { $0.0.lowercased() == "sec-websocket-protocol" }
            .flatMap { $0.1.split(separator: ",").map { String($0).trimmingSpaces } }
            .filter { !$0.isEmpty }
    }

    /// The 101 answer to a client's upgrade request with `protocol` chosen.
    public static func switchingProtocols(key: String, protocol chosen: String?) -> [UInt8] {
        var headers = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Accept", accept(key: key))]
        if let chosen { headers.append(("Sec-WebSocket-Protocol", chosen)) }
        return HTTPHead(startLine: "HTTP/1.1 101 Switching Protocols", headers: headers, rest: []).serialized
    }

    /// One frame on the wire; `mask` for a client's frames.
    public static func encode(_ frame: Frame, mask: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8] = [(frame.fin ? 0x80 : 0) | frame.opcode.rawValue]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        let count = frame.payload.count
        if count < 126 {
            out.append(maskBit | UInt8(count))
        } else if count <= 0xFFFF {
            out.append(maskBit | 126)
            out += [UInt8(count >> 8), UInt8(count & 0xFF)]
        } else {
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((UInt64(count) >> UInt64(shift)) & 0xFF)) }
        }
        if let mask, mask.count == 4 {
            out += mask
            for (i, byte) in frame.payload.enumerated() { out.append(byte ^ mask[i & 3]) }
        } else {
            out += frame.payload
        }
        return out
    }

    public struct ProtocolError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Splits a byte stream into frames; bytes may arrive in any pieces.
    public struct FrameReader: Sendable {
        var buffer: [UInt8] = []
        /// Larger frames end the connection (a session's messages are small: the client writes ≤ 32 KiB at a time).
        public var maxPayload = 16 << 20

        public init() {}

        public mutating func feed(_ bytes: some Sequence<UInt8>) { buffer += bytes }

        /// The next whole frame, unmasked; nil when more bytes are needed.
        public mutating func next() throws -> Frame? {
            guard buffer.count >= 2 else { return nil }
            guard let opcode = Opcode(rawValue: buffer[0] & 0x0F) else {
                throw ProtocolError(description: "unknown WebSocket opcode \(buffer[0] & 0x0F)")
            }
            let fin = buffer[0] & 0x80 != 0
            let masked = buffer[1] & 0x80 != 0
            var length = Int(buffer[1] & 0x7F)
            var offset = 2
            if length == 126 {
                guard buffer.count >= 4 else { return nil }
                length = Int(buffer[2]) << 8 | Int(buffer[3])
                offset = 4
            } else if length == 127 {
                guard buffer.count >= 10 else { return nil }
                var value: UInt64 = 0
                for i in 2..<10 { value = value << 8 | UInt64(buffer[i]) }
                guard value <= UInt64(maxPayload) else { throw ProtocolError(description: "WebSocket frame of \(value) bytes is too large") }
                length = Int(value)
                offset = 10
            }
            guard length <= maxPayload else { throw ProtocolError(description: "WebSocket frame of \(length) bytes is too large") }
            let maskLength = masked ? 4 : 0
            guard buffer.count >= offset + maskLength + length else { return nil }
            var payload = Array(buffer[(offset + maskLength)..<(offset + maskLength + length)])
            if masked {
                let mask = Array(buffer[offset..<(offset + 4)])
                for i in payload.indices { payload[i] ^= mask[i & 3] }
            }
            buffer.removeFirst(offset + maskLength + length)
            return Frame(fin: fin, opcode: opcode, payload: payload)
        }
    }

    /// Reassembles messages from frames and answers pings; what a session reads.
    public struct MessageReader: Sendable {
        var frames = FrameReader()
        var partial: [UInt8] = []
        var partialOpcode: Opcode = .binary

        public enum Event: Sendable, Equatable {
            case message(Opcode, [UInt8])
            case ping([UInt8])
            case close
        }

        public init() {}

        public mutating func feed(_ bytes: some Sequence<UInt8>) { frames.feed(bytes) }

        public mutating func next() throws -> Event? {
            while let frame = try frames.next() {
                switch frame.opcode {
                case .ping: return .ping(frame.payload)
                case .pong: continue
                case .close: return .close
                case .continuation:
                    partial += frame.payload
                    if frame.fin { defer { partial = [] }; return .message(partialOpcode, partial) }
                case .text, .binary:
                    if frame.fin { return .message(frame.opcode, frame.payload) }
                    partialOpcode = frame.opcode
                    partial = frame.payload
                }
            }
            return nil
        }
    }
}
