import KubeJSON

/// Request bodies in `application/vnd.kubernetes.protobuf`, which kubectl's typed clients send for built-in kinds
/// (`kubectl create namespace|configmap|secret|role…`, `kubectl run`, `kubectl auth can-i`) with no JSON fallback.
/// The envelope is `k8s\0` + runtime.Unknown{typeMeta, raw}; `raw` is decoded field by field with the tables in
/// `ProtoMessages` into the same JSON the server stores. Fields the tables do not know are skipped.
enum ProtobufDecoder {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    static func decode(_ body: [UInt8]) throws(StatusError) -> JSONValue {
        guard body.count >= 4, Array(body[0..<4]) == magic else {
            throw .badRequest("protobuf body does not start with the k8s\\0 envelope prefix")
        }
        var reader = ProtoReader(bytes: Array(body[4...]))
        var apiVersion = "", kind = ""
        var raw: [UInt8] = []
        do {
            while let (field, wire) = try reader.nextKey() {
                switch field {
                case 1:
                    var meta = ProtoReader(bytes: try reader.lengthDelimited())
                    while let (f, w) = try meta.nextKey() {
                        switch f {
                        case 1: apiVersion = String(decoding: try meta.lengthDelimited(), as: UTF8.self)
                        case 2: kind = String(decoding: try meta.lengthDelimited(), as: UTF8.self)
                        default: try meta.skip(w)
                        }
                    }
                case 2: raw = try reader.lengthDelimited()
                default: try reader.skip(wire)
                }
            }
        } catch {
            throw .badRequest("malformed protobuf envelope: \(error)")
        }
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        guard let message = ProtoMessages.topLevel[group + "/" + kind] else {
            throw StatusError(code: 415, reason: "UnsupportedMediaType",
                              message: "protobuf is not supported for \(kind) in \(apiVersion); send application/json")
        }
        var object: JSONValue
        do { object = try decodeMessage(raw, message) } catch {
            throw .badRequest("malformed protobuf \(kind): \(error)")
        }
        object["apiVersion"] = .string(apiVersion)
        object["kind"] = .string(kind)
        return object
    }

    static func decodeMessage(_ bytes: [UInt8], _ name: String) throws -> JSONValue {
        guard let fields = ProtoMessages.messages[name] else { return .emptyObject }
        var reader = ProtoReader(bytes: bytes)
        var object: [String: JSONValue] = [:]
        while let (number, wire) = try reader.nextKey() {
            guard let field = fields[number] else { try reader.skip(wire); continue }
            switch field.type {
            case .map(let valueType):
                var entry = ProtoReader(bytes: try reader.lengthDelimited())
                var key = ""
                var value: JSONValue = .null
                while let (f, w) = try entry.nextKey() {
                    if f == 1 { key = String(decoding: try entry.lengthDelimited(), as: UTF8.self) } else if f == 2 {
                        value = try decodeValue(&entry, wire: w, valueType)
                    } else { try entry.skip(w) }
                }
                var map = object[field.name]?.object ?? [:]
                map[key] = value == .null ? defaultValue(valueType) : value
                object[field.name] = .object(map)
            default:
                let value = try decodeValue(&reader, wire: wire, field.type)
                if field.repeated {
                    var list = object[field.name]?.array ?? []
                    if case .array(let packed) = value, field.type.isScalarNumber { list += packed } else { list.append(value) }
                    object[field.name] = .array(list)
                } else if value != .null && (field.pointer || !isZero(value)) {
                    if case .inline = field.type, let inner = value.object {
                        for (k, v) in inner { object[k] = v }
                    } else {
                        object[field.name] = value
                    }
                }
            }
        }
        return .object(object)
    }

    static func isZero(_ v: JSONValue) -> Bool { v == .string("") || v == .int(0) || v == .bool(false) }

    static func defaultValue(_ type: ProtoType) -> JSONValue {
        switch type {
        case .string, .bytes, .quantity: return .string("")
        default: return .null
        }
    }

    static func decodeValue(_ reader: inout ProtoReader, wire: Int, _ type: ProtoType) throws -> JSONValue {
        switch type {
        case .string: return .string(String(decoding: try reader.lengthDelimited(), as: UTF8.self))
        case .bytes: return .string(Base64.encode(try reader.lengthDelimited()))
        case .bool: return .bool(try reader.varint() != 0)
        case .int32, .int64:
            if wire == 2 {
                var packed = ProtoReader(bytes: try reader.lengthDelimited())
                var values: [JSONValue] = []
                while !packed.atEnd { values.append(.int(Int64(bitPattern: try packed.varint()))) }
                return .array(values)
            }
            let raw = try reader.varint()
            return type == .int32 ? .int(Int64(Int32(truncatingIfNeeded: raw))) : .int(Int64(bitPattern: raw))
        case .message(let name), .inline(let name): return try decodeMessage(try reader.lengthDelimited(), name)
        case .time:
            var t = ProtoReader(bytes: try reader.lengthDelimited())
            var seconds: Int64 = 0
            var nanos: Int64 = 0
            while let (f, w) = try t.nextKey() {
                if f == 1 { seconds = Int64(bitPattern: try t.varint()) } else if f == 2 { nanos = Int64(Int32(truncatingIfNeeded: try t.varint())) } else { try t.skip(w) }
            }
            if seconds == 0, nanos == 0 { return .null }
            return .string(nanos == 0 ? Timestamp.format(Double(seconds)) : Timestamp.formatMicro(Double(seconds) + Double(nanos) / 1e9))
        case .intOrString:
            var r = ProtoReader(bytes: try reader.lengthDelimited())
            var kind: UInt64 = 0
            var intValue: Int64 = 0
            var stringValue = ""
            while let (f, w) = try r.nextKey() {
                switch f {
                case 1: kind = try r.varint()
                case 2: intValue = Int64(Int32(truncatingIfNeeded: try r.varint()))
                case 3: stringValue = String(decoding: try r.lengthDelimited(), as: UTF8.self)
                default: try r.skip(w)
                }
            }
            return kind == 1 ? .string(stringValue) : .int(intValue)
        case .quantity:
            var r = ProtoReader(bytes: try reader.lengthDelimited())
            var text = ""
            while let (f, w) = try r.nextKey() {
                if f == 1 { text = String(decoding: try r.lengthDelimited(), as: UTF8.self) } else { try r.skip(w) }
            }
            return .string(text)
        case .rawJSON:
            var r = ProtoReader(bytes: try reader.lengthDelimited())
            var raw: [UInt8] = []
            while let (f, w) = try r.nextKey() {
                if f == 1 { raw = try r.lengthDelimited() } else { try r.skip(w) }
            }
            return raw.isEmpty ? .null : try JSONParser.parse(raw)
        case .map:
            return .null
        }
    }
}

struct ProtoError: Error, CustomStringConvertible {
    let description: String
}

/// Protocol-buffer wire format reading (varints, length-delimited fields, skipping).
struct ProtoReader {
    let bytes: [UInt8]
    var index = 0

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

    mutating func nextKey() throws -> (Int, Int)? {
        guard !atEnd else { return nil }
        let key = try varint()
        return (Int(key >> 3), Int(key & 7))
    }

    mutating func lengthDelimited() throws -> [UInt8] {
        // A length from the wire may be anything: never trust it to fit or to stay within the buffer.
        guard let length = Int(exactly: try varint()), length <= bytes.count - index else {
            throw ProtoError(description: "truncated field")
        }
        defer { index += length }
        return Array(bytes[index..<(index + length)])
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: index += 8
        case 2: _ = try lengthDelimited()
        case 5: index += 4
        default: throw ProtoError(description: "unsupported wire type \(wire)")
        }
        if index > bytes.count { throw ProtoError(description: "truncated field") }
    }
}
