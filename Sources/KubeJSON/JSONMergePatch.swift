/// JSON merge patches (RFC 7386, what `kubectl patch --type=merge` sends): objects merge key by key, `null` removes
/// a key, anything else replaces. A typed view writes back through them, so that only the fields it changed are
/// written and the rest of the stored object (fields it does not model included) stays as it was.
extension JSONValue {
    /// The merge patch that turns `old` into `new`; nil when they are equal. (A value that is itself null in `new`
    /// would read as a removal: typed views never write nulls, they leave nil fields out.)
    public static func mergePatch(from old: JSONValue, to new: JSONValue) -> JSONValue? {
        guard old != new else { return nil }
        guard case .object(let before) = old, case .object(let after) = new else { return new }
        var patch: [String: JSONValue] = [:]
        for key in before.keys where after[key] == nil { patch[key] = .null }
        for (key, value) in after {
            if let previous = before[key] {
                if let change = mergePatch(from: previous, to: value) { patch[key] = change }
            } else {
                patch[key] = value
            }
        }
        return .object(patch)
    }

    /// This value with `patch` merged in (RFC 7386's MergePatch).
    public func applyingMergePatch(_ patch: JSONValue) -> JSONValue {
        guard case .object(let changes) = patch else { return patch }
        var target = object ?? [:]
        for (key, change) in changes {
            if change == .null {
                target[key] = nil
            } else {
                target[key] = (target[key] ?? .null).applyingMergePatch(change)
            }
        }
        return .object(target)
    }
}

/// A JSONValue field in a Codable type holds its part of the document as it is. JSONValueDecoder and
/// JSONValueEncoder pass it through untouched; other coders go through the cases below.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }
}
