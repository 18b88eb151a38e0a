/// The protobuf binary format, as much of it as the CRI's messages use (varint, length-delimited; fixed-width
/// fields are skipped when seen). The generated types in CRIMessages.generated.swift read and write through it.
public protocol ProtoMessage: Sendable, Equatable {
    static var protoMessageName: String { get }
    init()
    init(from reader: inout ProtoReader) throws(ProtoDecodingError)
    func encode(to writer: inout ProtoWriter)
}

public protocol ProtoEnum: Sendable, Hashable {
    init(rawValue: Int)
    var rawValue: Int { get }
}

extension ProtoMessage {
    public func serializedBytes() -> [UInt8] {
        var writer = ProtoWriter()
        encode(to: &writer)
        return writer.bytes
    }

    public init(serializedBytes bytes: [UInt8]) throws(ProtoDecodingError) {
        var reader = ProtoReader(bytes[...])
        try self.init(from: &reader)
    }
}

public struct ProtoDecodingError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

public enum ProtoWireType: UInt8, Sendable {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

public struct ProtoWriter: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    mutating func appendVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wire: ProtoWireType) {
        appendVarint(UInt64(field) << 3 | UInt64(wire.rawValue))
    }

    public mutating func writeVarint(_ field: Int, _ value: UInt64) {
        tag(field, .varint)
        appendVarint(value)
    }

    /// proto3 leaves empty strings and bytes out unless they are elements of a repeated field.
    public mutating func writeString(_ field: Int, _ value: String, always: Bool = false) {
        guard always || !value.isEmpty else { return }
        writeBytes(field, Array(value.utf8), always: true)
    }

    public mutating func writeBytes(_ field: Int, _ value: [UInt8], always: Bool = false) {
        guard always || !value.isEmpty else { return }
        tag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func writeMessage<M: ProtoMessage>(_ field: Int, _ message: M) {
        var inner = ProtoWriter()
        message.encode(to: &inner)
        writeBytes(field, inner.bytes, always: true)
    }

    public mutating func writePackedVarints(_ field: Int, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        var inner = ProtoWriter()
        for value in values { inner.appendVarint(value) }
        writeBytes(field, inner.bytes, always: true)
    }

    /// map<string, string>: one entry message (key = 1, value = 2) per pair, in key order so equal maps encode alike.
    public mutating func writeStringMap(_ field: Int, _ map: [String: String]) {
        for key in map.keys.sorted() {
            var entry = ProtoWriter()
            entry.writeString(1, key)
            entry.writeString(2, map[key] ?? "")
            writeBytes(field, entry.bytes, always: true)
        }
    }
}

public struct ProtoReader: Sendable {
    private var bytes: ArraySlice<UInt8>
    /// Nesting bound: a hostile or corrupt answer must not exhaust the stack.
    private let depth: Int

    public init(_ bytes: ArraySlice<UInt8>, depth: Int = 0) {
        self.bytes = bytes
        self.depth = depth
    }

    mutating func rawVarint() throws(ProtoDecodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while let byte = bytes.popFirst() {
            if shift > 63 { throw ProtoDecodingError("a varint longer than 10 bytes") }
            result |= UInt64(byte & 0x7f) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw ProtoDecodingError("a varint cut short")
    }

    /// The next field number and wire type; nil at the end of the message.
    public mutating func nextField() throws(ProtoDecodingError) -> (Int, ProtoWireType)? {
        guard !bytes.isEmpty else { return nil }
        let key = try rawVarint()
        guard let wire = ProtoWireType(rawValue: UInt8(key & 7)) else {
            throw ProtoDecodingError("wire type \(key & 7) is not valid")
        }
        let field = key >> 3
        guard field > 0, field < 1 << 29 else { throw ProtoDecodingError("field number \(field) is out of range") }
        return (Int(field), wire)
    }

    public mutating func readVarint(_ wire: ProtoWireType) throws(ProtoDecodingError) -> UInt64 {
        guard wire == .varint else { throw ProtoDecodingError("expected a varint, found wire type \(wire.rawValue)") }
        return try rawVarint()
    }

    mutating func lengthDelimited(_ wire: ProtoWireType) throws(ProtoDecodingError) -> ArraySlice<UInt8> {
        guard wire == .lengthDelimited else { throw ProtoDecodingError("expected a length-delimited field, found wire type \(wire.rawValue)") }
        let length = try rawVarint()
        guard length <= UInt64(bytes.count) else { throw ProtoDecodingError("a field of \(length) bytes with \(bytes.count) left") }
        let value = bytes.prefix(Int(length))
        bytes = bytes.dropFirst(Int(length))
        return value
    }

    public mutating func readBytes(_ wire: ProtoWireType) throws(ProtoDecodingError) -> [UInt8] {
        Array(try lengthDelimited(wire))
    }

    public mutating func readString(_ wire: ProtoWireType) throws(ProtoDecodingError) -> String {
        String(decoding: try lengthDelimited(wire), as: UTF8.self)
    }

    public mutating func readMessage<M: ProtoMessage>(_ wire: ProtoWireType, as: M.Type) throws(ProtoDecodingError) -> M {
        guard depth < 64 else { throw ProtoDecodingError("messages nested deeper than 64") }
        var inner = ProtoReader(try lengthDelimited(wire), depth: depth + 1)
        return try M(from: &inner)
    }

    /// A repeated varint field, packed (one length-delimited run) or not (one value).
    public mutating func readVarints(_ wire: ProtoWireType) throws(ProtoDecodingError) -> [UInt64] {
        if wire == .varint { return [try rawVarint()] }
        var inner = ProtoReader(try lengthDelimited(wire), depth: depth)
        var out: [UInt64] = []
        while !inner.bytes.isEmpty { out.append(try inner.rawVarint()) }
        return out
    }

    public mutating func readStringMapEntry(_ wire: ProtoWireType, into map: inout [String: String]) throws(ProtoDecodingError) {
        var inner = ProtoReader(try lengthDelimited(wire), depth: depth)
        var key = ""
        var value = ""
        while let (field, entryWire) = try inner.nextField() {
            switch field {
            case 1: key = try inner.readString(entryWire)
            case 2: value = try inner.readString(entryWire)
            default: try inner.skip(entryWire)
            }
        }
        map[key] = value
    }

    /// Skips a field this client does not know (a newer runtime's addition).
    public mutating func skip(_ wire: ProtoWireType) throws(ProtoDecodingError) {
        switch wire {
        case .varint: _ = try rawVarint()
        case .fixed64:
            guard bytes.count >= 8 else { throw ProtoDecodingError("a fixed64 field cut short") }
            bytes = bytes.dropFirst(8)
        case .fixed32:
            guard bytes.count >= 4 else { throw ProtoDecodingError("a fixed32 field cut short") }
            bytes = bytes.dropFirst(4)
        case .lengthDelimited: _ = try lengthDelimited(wire)
        case .startGroup, .endGroup: throw ProtoDecodingError("groups are not supported")
        }
    }
}
