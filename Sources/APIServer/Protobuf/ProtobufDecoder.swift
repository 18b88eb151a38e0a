import KubeAPI
import KubeJSON

/// Request bodies in `application/vnd.kubernetes.protobuf`, which client-go's typed clients (kubectl, controllers)
/// send for built-in kinds. The body is `k8s\0` + runtime.Unknown{typeMeta, raw}; `raw` is upstream's message of that
/// kind, read with the generated tables into the JSON a Go client would have sent for the same object: JSON names
/// from the Go struct tags, inlined embedded structs, `omitempty` zeros left out, pointer zeros kept, and the
/// custom JSON forms of Time, MicroTime, Duration, IntOrString, Quantity and RawExtension. Unknown fields are
/// skipped, as upstream's decoder skips them; a known field with the wrong wire type is a 400.
enum ProtobufDecoder {
    static let magic: [UInt8] = [0x6B, 0x38, 0x73, 0x00]

    static func decode(_ body: [UInt8]) throws(StatusError) -> JSONValue {
        let envelope: (apiVersion: String, kind: String, raw: [UInt8])
        do { envelope = try unknown(body) } catch {
            throw .badRequest("malformed protobuf envelope: \(error)")
        }
        guard !envelope.kind.isEmpty else { throw .badRequest("Object 'Kind' is missing in the protobuf envelope") }
        guard let message = ProtoTables.shared.message(apiVersion: envelope.apiVersion, kind: envelope.kind) else {
            throw StatusError(code: 415, reason: "UnsupportedMediaType",
                              message: "protobuf is not supported for \(envelope.kind) in \(envelope.apiVersion); send application/json")
        }
        var object: JSONValue
        do { object = try decodeMessage(envelope.raw, message) } catch {
            throw .badRequest("malformed protobuf \(envelope.kind): \(error)")
        }
        if case .object = object {
            object["apiVersion"] = .string(envelope.apiVersion)
            object["kind"] = .string(envelope.kind)
        }
        return object
    }

    /// The `k8s\0` envelope: runtime.Unknown's TypeMeta and raw bytes.
    static func unknown(_ body: [UInt8]) throws -> (apiVersion: String, kind: String, raw: [UInt8]) {
        guard body.count >= 4, Array(body[0..<4]) == magic else {
            throw ProtoError(description: "the body does not start with the k8s\\0 prefix")
        }
        var reader = ProtoReader(bytes: Array(body[4...]))
        var apiVersion = "", kind = ""
        var raw: [UInt8] = []
        while let (field, wire) = try reader.nextKey() {
            switch (field, wire) {
            case (1, 2):
                var meta = ProtoReader(bytes: try reader.lengthDelimited())
                while let (f, w) = try meta.nextKey() {
                    switch (f, w) {
                    case (1, 2): apiVersion = String(decoding: try meta.lengthDelimited(), as: UTF8.self)
                    case (2, 2): kind = String(decoding: try meta.lengthDelimited(), as: UTF8.self)
                    default: try meta.skip(w)
                    }
                }
            case (2, 2): raw = try reader.lengthDelimited()
            case (3, 2), (4, 2):
                // contentEncoding and contentType: upstream's clients leave both empty; raw is protobuf.
                if !(try reader.lengthDelimited()).isEmpty {
                    throw ProtoError(description: "runtime.Unknown with a content encoding or type is not supported")
                }
            default: try reader.skip(wire)
            }
        }
        return (apiVersion, kind, raw)
    }

    /// Nested messages deeper than this are refused: a client-chosen depth must not exhaust the stack.
    static let maxDepth = 100

    static func decodeMessage(_ bytes: [UInt8], _ message: ProtoTables.Message, depth: Int = 0) throws -> JSONValue {
        guard depth < maxDepth else { throw ProtoError(description: "nesting deeper than \(maxDepth)") }
        if let special = message.special { return try decodeSpecial(bytes, special, message, depth: depth) }
        var reader = ProtoReader(bytes: bytes)
        var values: [Int: JSONValue] = [:]
        while let (number, wire) = try reader.nextKey() {
            guard let index = message.byNumber[number] else { try reader.skip(wire); continue }
            let field = message.fields[index]
            if field.map {
                guard wire == 2 else { throw wrongWire(message, field, wire) }
                var entry = ProtoReader(bytes: try reader.lengthDelimited())
                var key = ""
                var value: JSONValue?
                while let (f, w) = try entry.nextKey() {
                    switch (f, w) {
                    case (1, 2): key = String(decoding: try entry.lengthDelimited(), as: UTF8.self)
                    case (2, _):
                        guard w == field.type.wireType else { throw wrongWire(message, field, w) }
                        value = try decodeValue(&entry, field.type, depth: depth)
                    default: try entry.skip(w)
                    }
                }
                var map = values[number]?.object ?? [:]
                map[key] = try value ?? zeroValue(field.type, depth: depth)
                values[number] = .object(map)
            } else if field.repeated {
                var list = values[number]?.array ?? []
                if wire == 2, field.type.wireType != 2 {
                    // A packed run of numbers.
                    var packed = ProtoReader(bytes: try reader.lengthDelimited())
                    while !packed.atEnd { list.append(try decodeValue(&packed, field.type, depth: depth)) }
                } else {
                    guard wire == field.type.wireType else { throw wrongWire(message, field, wire) }
                    list.append(try decodeValue(&reader, field.type, depth: depth))
                }
                values[number] = .array(list)
            } else {
                guard wire == field.type.wireType else { throw wrongWire(message, field, wire) }
                values[number] = try decodeValue(&reader, field.type, depth: depth)
            }
        }
        var object: [String: JSONValue] = [:]
        for field in message.fields {
            guard let value = values[field.number] else { continue }
            if field.inline {
                for (k, v) in value.object ?? [:] { object[k] = v }
                continue
            }
            switch value {
            case .null: continue
            case .array(let a) where a.isEmpty && (field.repeated || field.omitEmpty): continue
            case .object(let o) where o.isEmpty && field.map: continue
            case .string(""), .int(0), .double(0), .bool(false):
                if field.omitEmpty, !field.pointer, !field.repeated, !isMessage(field.type) { continue }
            default: break
            }
            object[field.jsonName] = value
        }
        return .object(object)
    }

    static func isMessage(_ type: ProtoTables.Scalar) -> Bool {
        if case .message = type { return true } else { return false }
    }

    static func wrongWire(_ message: ProtoTables.Message, _ field: ProtoTables.Field, _ wire: Int) -> ProtoError {
        ProtoError(description: "wrong wire type \(wire) for field \(message.name).\(field.jsonName)")
    }

    static func message(_ name: String) throws -> ProtoTables.Message {
        guard let message = ProtoTables.shared.messages[name] else { throw ProtoError(description: "no message \(name)") }
        return message
    }

    /// A map value the entry left out: the type's zero, as Go fills it in.
    static func zeroValue(_ type: ProtoTables.Scalar, depth: Int) throws -> JSONValue {
        switch type {
        case .string, .bytes: return .string("")
        case .bool: return .bool(false)
        case .double, .float: return .double(0)
        case .message(let name): return try decodeMessage([], try message(name), depth: depth + 1)
        default: return .int(0)
        }
    }

    static func decodeValue(_ reader: inout ProtoReader, _ type: ProtoTables.Scalar, depth: Int) throws -> JSONValue {
        switch type {
        case .string: return .string(String(decoding: try reader.lengthDelimited(), as: UTF8.self))
        case .bytes: return .string(Base64.encode(try reader.lengthDelimited()))
        case .bool: return .bool(try reader.varint() != 0)
        case .int32: return .int(Int64(Int32(truncatingIfNeeded: try reader.varint())))
        case .int64: return .int(Int64(bitPattern: try reader.varint()))
        case .uint32: return .int(Int64(UInt32(truncatingIfNeeded: try reader.varint())))
        case .uint64:
            let raw = try reader.varint()
            guard let value = Int64(exactly: raw) else { throw ProtoError(description: "uint64 \(raw) out of range") }
            return .int(value)
        case .double:
            let value = Double(bitPattern: try reader.fixed(8))
            guard value.isFinite else { throw ProtoError(description: "a number that is not finite") }
            return .double(value)
        case .float:
            let value = Double(Float(bitPattern: UInt32(truncatingIfNeeded: try reader.fixed(4))))
            guard value.isFinite else { throw ProtoError(description: "a number that is not finite") }
            return .double(value)
        case .message(let name): return try decodeMessage(try reader.lengthDelimited(), try message(name), depth: depth + 1)
        }
    }

    static func decodeSpecial(_ bytes: [UInt8], _ special: ProtoTables.Special, _ message: ProtoTables.Message,
                              depth: Int) throws -> JSONValue {
        var reader = ProtoReader(bytes: bytes)
        var numbers: [Int: UInt64] = [:]
        var blobs: [Int: [UInt8]] = [:]
        var repeated: [JSONValue] = []
        var strings: [String] = []
        while let (f, w) = try reader.nextKey() {
            switch (special, f, w) {
            case (.array, 1, 2):
                guard let item = message.fields.first?.type else { try reader.skip(w); continue }
                repeated.append(try decodeValue(&reader, item, depth: depth))
            case (.schemaorarray, 2, 2):
                repeated.append(try decodeMessage(try reader.lengthDelimited(), try Self.message("apiextensions.v1.JSONSchemaProps"),
                                                  depth: depth + 1))
            case (.schemaorstringarray, 2, 2): strings.append(String(decoding: try reader.lengthDelimited(), as: UTF8.self))
            case (_, _, 0): numbers[f] = try reader.varint()
            case (_, _, 2): blobs[f] = try reader.lengthDelimited()
            default: try reader.skip(w)
            }
        }
        func schema(_ field: Int) throws -> JSONValue? {
            guard let bytes = blobs[field] else { return nil }
            return try decodeMessage(bytes, try Self.message("apiextensions.v1.JSONSchemaProps"), depth: depth + 1)
        }
        switch special {
        case .time:
            // An empty message is Go's zero time, JSON null; nanoseconds are not part of metav1.Time.
            guard !bytes.isEmpty else { return .null }
            return .string(Timestamp.format(Double(Int64(bitPattern: numbers[1] ?? 0))))
        case .microtime:
            guard !bytes.isEmpty else { return .null }
            let seconds = Int64(bitPattern: numbers[1] ?? 0)
            let nanos = Int64(Int32(truncatingIfNeeded: numbers[2] ?? 0))
            guard (0..<1_000_000_000).contains(nanos) else { throw ProtoError(description: "MicroTime nanos \(nanos) out of range") }
            return .string(MicroTimeText.format(seconds: seconds, micros: nanos / 1000))
        case .duration:
            return .string(GoDuration(nanoseconds: Int64(bitPattern: numbers[1] ?? 0)).description)
        case .rawjson:
            guard let raw = blobs[1], !raw.isEmpty else { return .null }
            if raw.starts(with: magic) {
                // An embedded object in protobuf (a RawExtension from a protobuf client).
                let envelope = try unknown(raw)
                guard let inner = ProtoTables.shared.message(apiVersion: envelope.apiVersion, kind: envelope.kind) else {
                    throw ProtoError(description: "embedded protobuf \(envelope.kind) in \(envelope.apiVersion) is not supported")
                }
                var object = try decodeMessage(envelope.raw, inner, depth: depth + 1)
                object["apiVersion"] = .string(envelope.apiVersion)
                object["kind"] = .string(envelope.kind)
                return object
            }
            do { return try JSONParser.parse(raw) } catch {
                throw ProtoError(description: "embedded JSON in \(message.name): \(error.reason) at offset \(error.offset)")
            }
        case .intorstring:
            if numbers[1] == 1 { return .string(String(decoding: blobs[3] ?? [], as: UTF8.self)) }
            return .int(Int64(Int32(truncatingIfNeeded: numbers[2] ?? 0)))
        case .quantity:
            return .string(String(decoding: blobs[1] ?? [], as: UTF8.self))
        case .array:
            return .array(repeated)
        case .schemaorarray:
            if !repeated.isEmpty { return .array(repeated) }
            return try schema(1) ?? .null
        case .schemaorbool:
            if let s = try schema(2) { return s }
            return .bool(numbers[1].map { $0 != 0 } ?? false)
        case .schemaorstringarray:
            if !strings.isEmpty { return .array(strings.map(JSONValue.string)) }
            return try schema(1) ?? .null
        }
    }
}

/// metav1.MicroTime's JSON text: RFC 3339 with exactly six fraction digits (`2026-12-04T04:40:05.123456Z`).
enum MicroTimeText {
    static func format(seconds: Int64, micros: Int64) -> String {
        let base = String(Timestamp.format(Double(seconds)).dropLast())
        let digits = String(micros)
        return base + "." + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "Z"
    }

    /// Whole seconds since the epoch and the nanoseconds of the fraction (to the microsecond, as MicroTime keeps).
    static func parse(_ text: String) -> (seconds: Int64, nanos: Int32)? {
        guard let date = RFC3339.parse(text) else { return nil }
        let interval = date.timeIntervalSince1970.rounded(.down)
        guard interval.isFinite, let seconds = Int64(exactly: interval) else { return nil }
        var micros: Int32 = 0
        if let dot = text.firstIndex(of: ".") {
            var digits = 0
            for c in text[text.index(after: dot)...] {
                guard let d = c.wholeNumberValue, c.isASCII else { break }
                if digits < 6 { micros = micros * 10 + Int32(d) }
                digits += 1
            }
            for _ in min(digits, 6)..<6 { micros *= 10 }
        }
        return (seconds, micros * 1000)
    }
}
