import Foundation

/// A protobuf-only client's own wire code, written from upstream's .proto field numbers by hand and independent of the
/// server's codec, so the tests check the server against bytes it did not produce.
struct PB {
    var bytes: [UInt8] = []

    static func varint(_ value: UInt64) -> [UInt8] {
        var v = value, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        out.append(UInt8(v))
        return out
    }

    func int(_ field: Int, _ value: Int64) -> PB {
        PB(bytes: bytes + Self.varint(UInt64(field << 3)) + Self.varint(UInt64(bitPattern: value)))
    }

    func string(_ field: Int, _ value: String) -> PB { message(field, Array(value.utf8)) }

    func message(_ field: Int, _ value: [UInt8]) -> PB {
        PB(bytes: bytes + Self.varint(UInt64(field << 3 | 2)) + Self.varint(UInt64(value.count)) + value)
    }

    func message(_ field: Int, _ value: PB) -> PB { message(field, value.bytes) }

    /// `k8s\0` + runtime.Unknown{typeMeta{apiVersion, kind}, raw} as client-go's protobuf serializer writes it.
    static func envelope(_ apiVersion: String, _ kind: String, _ raw: PB) -> [UInt8] {
        let typeMeta = PB().string(1, apiVersion).string(2, kind)
        return [0x6B, 0x38, 0x73, 0x00] + PB().message(1, typeMeta).message(2, raw).string(3, "").string(4, "").bytes
    }
}

/// A parsed message: each field number's values (varints as UInt64, length-delimited as bytes).
struct PBMessage {
    var fields: [Int: [PBValue]] = [:]

    enum PBValue {
        case varint(UInt64)
        case bytes([UInt8])
        case fixed(UInt64)
    }

    init(_ bytes: [UInt8]) throws {
        var i = 0
        func varint() throws -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
            }
            throw TestFailure("truncated varint")
        }
        while i < bytes.count {
            let key = try varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: fields[field, default: []].append(.varint(try varint()))
            case 2:
                let length = Int(try varint())
                guard i + length <= bytes.count else { throw TestFailure("truncated field \(field)") }
                fields[field, default: []].append(.bytes(Array(bytes[i..<(i + length)])))
                i += length
            case 1:
                guard i + 8 <= bytes.count else { throw TestFailure("truncated") }
                fields[field, default: []].append(.fixed(bytes[i..<(i + 8)].reversed().reduce(0) { $0 << 8 | UInt64($1) }))
                i += 8
            default: throw TestFailure("wire type \(key & 7)")
            }
        }
    }

    func string(_ field: Int) -> String? {
        guard case .bytes(let b)? = fields[field]?.last else { return nil }
        return String(decoding: b, as: UTF8.self)
    }

    func strings(_ field: Int) -> [String] {
        (fields[field] ?? []).compactMap { if case .bytes(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } }
    }

    func int(_ field: Int) -> Int64? {
        guard case .varint(let v)? = fields[field]?.last else { return nil }
        return Int64(bitPattern: v)
    }

    func message(_ field: Int) throws -> PBMessage? {
        guard case .bytes(let b)? = fields[field]?.last else { return nil }
        return try PBMessage(b)
    }

    func messages(_ field: Int) throws -> [PBMessage] {
        try (fields[field] ?? []).compactMap { if case .bytes(let b) = $0 { return try PBMessage(b) } else { return nil } }
    }

    /// The `k8s\0` envelope of a response: its apiVersion, kind and the message.
    static func envelope(_ body: [UInt8]) throws -> (apiVersion: String, kind: String, message: PBMessage) {
        guard body.starts(with: [0x6B, 0x38, 0x73, 0x00]) else {
            throw TestFailure("not a protobuf envelope: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        let unknown = try PBMessage(Array(body.dropFirst(4)))
        let typeMeta = try unknown.message(1)
        guard case .bytes(let raw)? = unknown.fields[2]?.last else { throw TestFailure("no raw") }
        return (typeMeta?.string(1) ?? "", typeMeta?.string(2) ?? "", try PBMessage(raw))
    }
}
