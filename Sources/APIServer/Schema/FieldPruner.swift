import KubeJSON

/// Walks an object against its schema the way upstream's typed decoding does: unknown fields are reported (for
/// `fieldValidation=Strict|Warn`) and dropped, and a value of the wrong JSON type is a decode error.
public struct FieldPruner {
    public struct TypeError: Error {
        public var path: String
        public var expected: String
        public var found: String
    }

    public private(set) var unknownFields: [String] = []

    public init() {}

    public mutating func prune(_ value: inout JSONValue, schema: Schema) throws(TypeError) {
        try walk(&value, schema, path: "")
    }

    private mutating func walk(_ value: inout JSONValue, _ schema: Schema, path: String) throws(TypeError) {
        if value == .null { return }
        switch schema.resolved {
        case .preserveUnknown:
            return
        case .string:
            guard value.string != nil else { throw TypeError(path: path, expected: "string", found: value.typeName) }
        case .time:
            guard value.string != nil else { throw TypeError(path: path, expected: "string", found: value.typeName) }
        case .integer:
            guard value.int != nil else { throw TypeError(path: path, expected: "int", found: value.typeName) }
        case .number:
            switch value { case .int, .double: break; default: throw TypeError(path: path, expected: "number", found: value.typeName) }
        case .boolean:
            guard value.bool != nil else { throw TypeError(path: path, expected: "bool", found: value.typeName) }
        case .intOrString, .quantity:
            switch value { case .int, .double, .string: break; default: throw TypeError(path: path, expected: "string", found: value.typeName) }
        case .map(let element):
            guard var o = value.object else { throw TypeError(path: path, expected: "map", found: value.typeName) }
            for key in o.keys.sorted() {
                guard var v = o[key] else { continue }
                try walk(&v, element, path: path.isEmpty ? key : "\(path).\(key)")
                o[key] = v
            }
            value = .object(o)
        case .list(let element, _, _):
            guard var a = value.array else { throw TypeError(path: path, expected: "array", found: value.typeName) }
            for i in a.indices { try walk(&a[i], element, path: "\(path)[\(i)]") }
            value = .array(a)
        case .object(let properties, _, _):
            guard var o = value.object else { throw TypeError(path: path, expected: "object", found: value.typeName) }
            for key in o.keys.sorted() {
                let childPath = path.isEmpty ? key : "\(path).\(key)"
                guard let childSchema = properties[key] else {
                    // Strategic-merge directives are not fields.
                    if key.hasPrefix("$") { continue }
                    unknownFields.append(childPath)
                    o[key] = nil
                    continue
                }
                guard var v = o[key] else { continue }
                try walk(&v, childSchema, path: childPath)
                o[key] = v
            }
            value = .object(o)
        case .ref:
            return
        }
    }
}
