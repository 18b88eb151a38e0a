import KubeAPI
import KubeJSON

/// Responses in `application/vnd.kubernetes.protobuf`: the stored JSON written as upstream's message of its kind,
/// inside the `k8s\0` + runtime.Unknown envelope client-go expects. A JSON value that does not fit its field (which
/// validation keeps out of the store) is left out rather than failing the response.
enum ProtobufEncoder {
    static let contentType = "application/vnd.kubernetes.protobuf"
    static let watchContentType = "application/vnd.kubernetes.protobuf;stream=watch"

    /// The object in its envelope; nil when its kind has no protobuf message (a custom resource, a Table).
    static func encode(_ object: JSONValue) -> [UInt8]? {
        guard let apiVersion = object["apiVersion"]?.string, let kind = object["kind"]?.string,
              let message = ProtoTables.shared.message(apiVersion: apiVersion, kind: kind) else { return nil }
        return envelope(apiVersion: apiVersion, kind: kind, raw: encodeMessage(object, message))
    }

    static func envelope(apiVersion: String, kind: String, raw: [UInt8]) -> [UInt8] {
        var typeMeta = ProtoWriter()
        typeMeta.string(1, apiVersion)
        typeMeta.string(2, kind)
        var unknown = ProtoWriter()
        unknown.bytes(1, typeMeta.bytes)
        unknown.bytes(2, raw)
        unknown.string(3, "")
        unknown.string(4, "")
        return ProtobufDecoder.magic + unknown.bytes
    }

    /// One watch event as the protobuf watch stream frames it: a 4-byte big-endian length, then a metav1.WatchEvent
    /// (no envelope) whose object is the envelope-encoded object. nil when the object has no protobuf message.
    static func watchFrame(type: String, object: JSONValue) -> [UInt8]? {
        guard let encoded = encode(object) else { return nil }
        var event = ProtoWriter()
        event.string(1, type)
        var raw = ProtoWriter()
        raw.bytes(1, encoded)
        event.bytes(2, raw.bytes)
        let length = UInt32(truncatingIfNeeded: event.bytes.count)
        return [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length)] + event.bytes
    }

    static func encodeMessage(_ value: JSONValue, _ message: ProtoTables.Message) -> [UInt8] {
        var out = ProtoWriter()
        if let special = message.special {
            encodeSpecial(value, special, message, into: &out)
            return out.bytes
        }
        guard let object = value.object else { return [] }
        for field in message.fields {
            if field.inline {
                // The embedded struct's fields are this object's own keys.
                guard case .message(let name) = field.type, let inner = ProtoTables.shared.messages[name] else { continue }
                out.bytes(field.number, encodeMessage(value, inner))
                continue
            }
            guard let item = object[field.jsonName], item != .null else { continue }
            if field.map {
                guard let map = item.object else { continue }
                for key in map.keys.sorted() {
                    guard let v = map[key] else { continue }
                    var entry = ProtoWriter()
                    entry.string(1, key)
                    encodeValue(v, field.type, number: 2, into: &entry)
                    out.bytes(field.number, entry.bytes)
                }
            } else if field.repeated {
                for element in item.array ?? [] { encodeValue(element, field.type, number: field.number, into: &out) }
            } else {
                encodeValue(item, field.type, number: field.number, into: &out)
            }
        }
        return out.bytes
    }

    static func encodeValue(_ value: JSONValue, _ type: ProtoTables.Scalar, number: Int, into out: inout ProtoWriter) {
        switch type {
        case .string:
            if let s = value.string { out.string(number, s) }
        case .bytes:
            if let s = value.string, let decoded = Base64.decode(s) { out.bytes(number, decoded) }
        case .bool:
            if let b = value.bool { out.bool(number, b) }
        case .int32:
            if let n = integer(value), let v = Int32(exactly: n) { out.int(number, Int64(v)) }
        case .int64:
            if let n = integer(value) { out.int(number, n) }
        case .uint32:
            if let n = integer(value), let v = UInt32(exactly: n) { out.int(number, Int64(v)) }
        case .uint64:
            if let n = integer(value), n >= 0 { out.int(number, n) }
        case .double:
            if let d = double(value) { out.fixed(number, d.bitPattern, width: 8) }
        case .float:
            if let d = double(value) { out.fixed(number, UInt64(Float(d).bitPattern), width: 4) }
        case .message(let name):
            guard let message = ProtoTables.shared.messages[name] else { return }
            if message.special == nil, value.object == nil { return }
            out.bytes(number, encodeMessage(value, message))
        }
    }

    static func integer(_ value: JSONValue) -> Int64? {
        switch value {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }

    static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    static func encodeSpecial(_ value: JSONValue, _ special: ProtoTables.Special, _ message: ProtoTables.Message,
                              into out: inout ProtoWriter) {
        let schema = ProtoTables.shared.messages["apiextensions.v1.JSONSchemaProps"]
        switch special {
        case .time:
            guard let text = value.string, let seconds = Timestamp.parse(text)?.rounded(.down),
                  let whole = Int64(exactly: seconds) else { return }
            out.int(1, whole)
            out.int(2, 0)
        case .microtime:
            guard let text = value.string, let (seconds, nanos) = MicroTimeText.parse(text) else { return }
            out.int(1, seconds)
            out.int(2, Int64(nanos))
        case .duration:
            guard let text = value.string, let nanos = GoDuration(text)?.nanoseconds else { return }
            out.int(1, nanos)
        case .rawjson:
            out.bytes(1, JSONWriter.write(value))
        case .intorstring:
            switch value {
            case .string(let s):
                out.int(1, 1)
                out.int(2, 0)
                out.string(3, s)
            default:
                guard let n = integer(value), let v = Int32(exactly: n) else { return }
                out.int(1, 0)
                out.int(2, Int64(v))
                out.string(3, "")
            }
        case .quantity:
            switch value {
            case .string(let s): out.string(1, s)
            case .int(let i): out.string(1, String(i))
            case .double(let d) where d.isFinite: out.string(1, d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d))
            default: return
            }
        case .array:
            guard let item = message.fields.first?.type else { return }
            for element in value.array ?? [] { encodeValue(element, item, number: 1, into: &out) }
        case .schemaorarray:
            guard let schema else { return }
            if let array = value.array {
                for element in array { out.bytes(2, encodeMessage(element, schema)) }
            } else if value.object != nil {
                out.bytes(1, encodeMessage(value, schema))
            }
        case .schemaorbool:
            guard let schema else { return }
            if let b = value.bool {
                out.bool(1, b)
            } else if value.object != nil {
                out.bool(1, true)
                out.bytes(2, encodeMessage(value, schema))
            }
        case .schemaorstringarray:
            guard let schema else { return }
            if let array = value.array {
                for element in array { if let s = element.string { out.string(2, s) } }
            } else if value.object != nil {
                out.bytes(1, encodeMessage(value, schema))
            }
        }
    }
}
