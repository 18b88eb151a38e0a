/// The protocol-buffer wire format: varints, length-delimited fields, fixed-width numbers.
struct ProtoError: Error, CustomStringConvertible {
    let description: String
}

/// Reads one message's bytes. Every length and number comes from the client: none is trusted to fit.
struct ProtoReader {
    let bytes: [UInt8]
    var index = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while index < bytes.count {
            let b = bytes[index]
            index += 1
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            if shift > 63 { throw ProtoError(description: "varint too long") }
        }
        throw ProtoError(description: "truncated varint")
    }

    /// The next field's number and wire type; nil at the end of the message.
    mutating func nextKey() throws -> (Int, Int)? {
        guard !atEnd else { return nil }
        let key = try varint()
        guard key >> 3 > 0, key >> 3 <= 536_870_911 else { throw ProtoError(description: "illegal field number \(key >> 3)") }
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func lengthDelimited() throws -> [UInt8] {
        guard let length = Int(exactly: try varint()), length <= bytes.count - index else {
            throw ProtoError(description: "truncated field")
        }
        defer { index += length }
        return Array(bytes[index..<(index + length)])
    }

    mutating func fixed(_ width: Int) throws -> UInt64 {
        guard width <= bytes.count - index else { throw ProtoError(description: "truncated field") }
        var value: UInt64 = 0
        for i in 0..<width { value |= UInt64(bytes[index + i]) << UInt64(8 * i) }
        index += width
        return value
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: _ = try fixed(8)
        case 2: _ = try lengthDelimited()
        case 5: _ = try fixed(4)
        default: throw ProtoError(description: "unsupported wire type \(wire)")
        }
    }
}

/// Writes one message's bytes, fields in the order they are added.
struct ProtoWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    mutating func key(_ field: Int, _ wire: Int) { varint(UInt64(field) << 3 | UInt64(wire)) }

    /// int32 and int64 alike: a negative number is its 64-bit two's complement, ten bytes, as protobuf writes it.
    mutating func int(_ field: Int, _ value: Int64) {
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        key(field, 0)
        varint(value ? 1 : 0)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    mutating func fixed(_ field: Int, _ value: UInt64, width: Int) {
        key(field, width == 8 ? 1 : 5)
        for i in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * i))) }
    }
}
