/// SPDY/3.1 frames as Kubernetes' port-forward (and exec over SPDY) use them: streams opened with SYN_STREAM and
/// answered with SYN_REPLY, DATA with FIN to half-close, RST_STREAM, PING echoes and GOAWAY. No flow control is
/// done (Go's spdystream does none either). Header blocks stay compressed here; the session inflates them in order.
public enum SPDYFrame: Sendable, Equatable {
    case synStream(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case synReply(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case rstStream(streamID: UInt32, status: UInt32)
    case settings
    case ping(id: UInt32)
    case goAway(lastStreamID: UInt32, status: UInt32)
    case headers(streamID: UInt32, flags: UInt8, headerBlock: [UInt8])
    case windowUpdate(streamID: UInt32, delta: UInt32)
    case data(streamID: UInt32, flags: UInt8, payload: [UInt8])
    /// A control frame of a type this side ignores.
    case other(type: UInt16)

    public static let flagFin: UInt8 = 0x01

    static func be32(_ v: UInt32) -> [UInt8] { SPDYHeaderBlock.be32(v) }

    static func control(_ type: UInt16, flags: UInt8, _ body: [UInt8]) -> [UInt8] {
        let length = UInt32(body.count)
        return [0x80, 0x03, UInt8(type >> 8), UInt8(type & 0xFF), flags,
                UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + body
    }

    /// The frame on the wire (header blocks already compressed).
    public var encoded: [UInt8] {
        switch self {
        case .synStream(let id, let flags, let block):
            return Self.control(1, flags: flags, Self.be32(id & 0x7FFF_FFFF) + Self.be32(0) + [0, 0] + block)
        case .synReply(let id, let flags, let block):
            return Self.control(2, flags: flags, Self.be32(id & 0x7FFF_FFFF) + block)
        case .rstStream(let id, let status):
            return Self.control(3, flags: 0, Self.be32(id & 0x7FFF_FFFF) + Self.be32(status))
        case .settings:
            return Self.control(4, flags: 0, Self.be32(0))
        case .ping(let id):
            return Self.control(6, flags: 0, Self.be32(id))
        case .goAway(let last, let status):
            return Self.control(7, flags: 0, Self.be32(last & 0x7FFF_FFFF) + Self.be32(status))
        case .headers(let id, let flags, let block):
            return Self.control(8, flags: flags, Self.be32(id & 0x7FFF_FFFF) + block)
        case .windowUpdate(let id, let delta):
            return Self.control(9, flags: 0, Self.be32(id & 0x7FFF_FFFF) + Self.be32(delta))
        case .data(let id, let flags, let payload):
            let length = UInt32(payload.count)
            return Self.be32(id & 0x7FFF_FFFF) + [flags, UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)] + payload
        case .other(let type):
            return Self.control(type, flags: 0, [])
        }
    }

    public struct ProtocolError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Splits a byte stream into frames.
    public struct Reader: Sendable {
        var buffer: [UInt8] = []
        var start = 0

        public init() {}

        public mutating func feed(_ bytes: some Sequence<UInt8>) {
            if start > 0 && start >= buffer.count / 2 {
                buffer.removeFirst(start)
                start = 0
            }
            buffer += bytes
        }

        func u32(_ at: Int) -> UInt32 {
            UInt32(buffer[at]) << 24 | UInt32(buffer[at + 1]) << 16 | UInt32(buffer[at + 2]) << 8 | UInt32(buffer[at + 3])
        }

        public mutating func next() throws -> SPDYFrame? {
            guard buffer.count - start >= 8 else { return nil }
            let flags = buffer[start + 4]
            let length = Int(buffer[start + 5]) << 16 | Int(buffer[start + 6]) << 8 | Int(buffer[start + 7])
            guard buffer.count - start >= 8 + length else { return nil }
            let body = Array(buffer[(start + 8)..<(start + 8 + length)])
            let head = start
            start += 8 + length
            guard buffer[head] & 0x80 != 0 else {
                return .data(streamID: u32(head) & 0x7FFF_FFFF, flags: flags, payload: body)
            }
            let version = (UInt16(buffer[head] & 0x7F) << 8) | UInt16(buffer[head + 1])
            guard version == 3 else { throw ProtocolError(description: "unsupported SPDY version \(version)") }
            let type = UInt16(buffer[head + 2]) << 8 | UInt16(buffer[head + 3])
            func word(_ i: Int) throws -> UInt32 {
                guard body.count >= i + 4 else { throw ProtocolError(description: "SPDY control frame \(type) is too short") }
                return UInt32(body[i]) << 24 | UInt32(body[i + 1]) << 16 | UInt32(body[i + 2]) << 8 | UInt32(body[i + 3])
            }
            switch type {
            case 1:
                guard body.count >= 10 else { throw ProtocolError(description: "SYN_STREAM is too short") }
                return .synStream(streamID: try word(0) & 0x7FFF_FFFF, flags: flags, headerBlock: Array(body[10...]))
            case 2: return .synReply(streamID: try word(0) & 0x7FFF_FFFF, flags: flags, headerBlock: Array(body.dropFirst(4)))
            case 3: return .rstStream(streamID: try word(0) & 0x7FFF_FFFF, status: try word(4))
            case 4: return .settings
            case 6: return .ping(id: try word(0))
            case 7: return .goAway(lastStreamID: try word(0) & 0x7FFF_FFFF, status: body.count >= 8 ? try word(4) : 0)
            case 8: return .headers(streamID: try word(0) & 0x7FFF_FFFF, flags: flags, headerBlock: Array(body.dropFirst(4)))
            case 9: return .windowUpdate(streamID: try word(0) & 0x7FFF_FFFF, delta: try word(4))
            default: return .other(type: type)
            }
        }
    }
}
