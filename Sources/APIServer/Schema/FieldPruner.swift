import KubeJSON

/// Walks an object against its schema the way upstream's typed decoding does: unknown fields are reported (for
/// `fieldValidation=Strict|Warn`) and dropped, and a value Go's decoder could not store in the field is a decode
/// error: the wrong JSON type, a fraction for an integer, or an integer beyond the field's int32 or int64 (upstream
/// never holds such a value, so neither may this server: the controllers do arithmetic on these fields).
public struct FieldPruner {
    /// Go's UnmarshalTypeError, as sigs.k8s.io/json reports it.
    public struct TypeError: Error, CustomStringConvertible {
        /// The field's path from the root as Go's decoder tracks it: struct fields only, no list indexes or map keys.
        public var path: String
        /// The innermost Go struct holding the field (`RollingUpdateDeployment`).
        public var goStruct: String
        /// The Go type of the field (`int32`, `[]v1.Container`).
        public var expected: String
        /// What the JSON held: `string`, `object`, … or `number <literal>` for a number the field cannot hold.
        public var found: String
        /// Where the value is, with list indexes and map keys (`spec.containers[1].ports[0].containerPort`,
        /// `metadata.labels["a.b"]`): Go's path above names every element of a list alike.
        public var location: String = ""
        /// The value that did not decode, as the JSON held it.
        public var value: JSONValue = .null

        public var description: String {
            let field = goStruct.isEmpty ? path : "\(goStruct).\(path)"
            return "json: cannot unmarshal \(found) into Go struct field \(field) of type \(expected)"
        }
    }

    public private(set) var unknownFields: [String] = []
    /// When set, type errors are collected here and the walk goes on, instead of stopping at the first.
    private var collected: [TypeError]?

    private enum Step { case field(String), index(Int), key(String) }
    private var trail: [Step] = []

    /// `spec.containers[1].ports[0].containerPort`, `metadata.labels["a.b"]`: one spelling per place.
    private static func location(_ trail: [Step]) -> String {
        var out = ""
        for step in trail {
            switch step {
            case .field(let name): out += out.isEmpty ? name : "." + name
            case .index(let i): out += "[\(i)]"
            case .key(let key): out += "[" + JSONWriter.string(.string(key)) + "]"
            }
        }
        return out
    }

    public init() {}

    public mutating func prune(_ value: inout JSONValue, schema: Schema) throws(TypeError) {
        try walk(&value, schema, path: "", goPath: "", goStruct: "")
    }

    /// Prunes `value` (unknown fields dropped, integral doubles made integers) and checks that it decodes, allowing
    /// the type errors `stored` has too: the object a PUT or patch replaces, whose bad values an older binary left and
    /// the update may carry along untouched. Past such an error the walk goes on, so the rest of the object is pruned
    /// and checked all the same. Throws the first error `value` adds (a bad value in a new place, changed, or copied
    /// to more places); without `stored`, the first error.
    public mutating func prune(_ value: inout JSONValue, schema: Schema, tolerating stored: JSONValue?) throws(TypeError) {
        guard let stored else { return try prune(&value, schema: schema) }
        collected = []
        defer { collected = nil }
        try walk(&value, schema, path: "", goPath: "", goStruct: "")
        guard let found = collected, !found.isEmpty else { return }
        if let added = Self.firstAdded(found, comparedTo: Self.errors(in: stored, schema: schema)) { throw added }
    }

    /// Every decode error in `value` (Go's decoder reports the first; an update is judged on whether it adds any).
    public static func errors(in value: JSONValue, schema: Schema) -> [TypeError] {
        var copy = value
        var pruner = FieldPruner()
        pruner.collected = []
        try? pruner.walk(&copy, schema, path: "", goPath: "", goStruct: "")
        return pruner.collected ?? []
    }

    /// The first of `errors` that `old` does not account for: each of `old`'s errors excuses one error of the same
    /// value at the same place, so a bad value that moved, changed or was copied elsewhere is not excused.
    static func firstAdded(_ errors: [TypeError], comparedTo old: [TypeError]) -> TypeError? {
        struct Key: Hashable { var location: String, value: JSONValue }
        var excused: [Key: Int] = [:]
        for error in old { excused[Key(location: error.location, value: error.value), default: 0] += 1 }
        for error in errors {
            let key = Key(location: error.location, value: error.value)
            guard let n = excused[key], n > 0 else { return error }
            excused[key] = n - 1
        }
        return nil
    }

    private mutating func fail(_ error: TypeError) throws(TypeError) {
        guard collected != nil else { throw error }
        collected?.append(error)
    }

    /// `path` names fields for unknown-field reports (`spec.containers[0].foo`, as upstream's strict decoding);
    /// `goPath` and `goStruct` name them for type errors, as Go's decoder does; `trail` is where the walk is, spelled
    /// out only for an error's `location`.
    private mutating func walk(_ value: inout JSONValue, _ schema: Schema, path: String, goPath: String,
                               goStruct: String) throws(TypeError) {
        if value == .null { return }
        let resolved = schema.resolved
        // Called before `value` is changed, so it reports the value as the JSON held it.
        func mismatch(_ found: String? = nil) -> TypeError {
            TypeError(path: goPath, goStruct: goStruct, expected: Self.goType(resolved), found: found ?? value.typeName,
                      location: Self.location(trail), value: value)
        }
        switch resolved {
        case .preserveUnknown, .ref:
            return
        case .string, .time:
            if value.string == nil { try fail(mismatch()) }
        case .integer(let format):
            do { value = try Self.integer(value, bits32: format == "int32", mismatch) } catch { try fail(error) }
        case .number:
            switch value { case .int, .double: break; default: try fail(mismatch()) }
        case .boolean:
            if value.bool == nil { try fail(mismatch()) }
        case .intOrString:
            // IntOrString decodes a non-string into its int32 (so the error names int32, as upstream's does).
            if value.string == nil {
                do { value = try Self.integer(value, bits32: true, mismatch) } catch { try fail(error) }
            }
        case .quantity:
            switch value { case .int, .double, .string: break; default: try fail(mismatch()) }
        case .map(let element):
            guard var o = value.object else { return try fail(mismatch()) }
            for key in o.keys.sorted() {
                guard var v = o[key] else { continue }
                trail.append(.key(key))
                defer { trail.removeLast() }
                try walk(&v, element, path: path.isEmpty ? key : "\(path).\(key)", goPath: goPath, goStruct: goStruct)
                o[key] = v
            }
            value = .object(o)
        case .list(let element, _, _):
            guard var a = value.array else { return try fail(mismatch()) }
            for i in a.indices {
                trail.append(.index(i))
                defer { trail.removeLast() }
                try walk(&a[i], element, path: "\(path)[\(i)]", goPath: goPath, goStruct: goStruct)
            }
            value = .array(a)
        case .object(let properties, _, _, let goType):
            guard var o = value.object else { return try fail(mismatch()) }
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
                trail.append(.field(key))
                defer { trail.removeLast() }
                try walk(&v, childSchema, path: childPath, goPath: goPath.isEmpty ? key : "\(goPath).\(key)",
                         goStruct: goType.isEmpty ? goStruct : goType)
                o[key] = v
            }
            value = .object(o)
        }
    }

    /// An integer field's value: within int32 or int64 and integral, as Go's strconv.ParseInt into the field
    /// accepts it. An integral double (YAML, or a patch that went through floats) becomes the integer it is.
    private static func integer(_ value: JSONValue, bits32: Bool, _ mismatch: (String?) -> TypeError) throws(TypeError) -> JSONValue {
        let number: Int64
        switch value {
        case .int(let i):
            number = i
        case .double(let d):
            guard let exact = Int64(exactly: d) else { throw mismatch("number \(literal(d))") }
            number = exact
        default:
            throw mismatch(nil)
        }
        if bits32, Int32(exactly: number) == nil { throw mismatch("number \(number)") }
        return .int(number)
    }

    /// The number as its JSON text most likely read (the parser keeps the value, not the text): whole numbers in
    /// digits, as a literal beyond Int64 such as 9223372036854775808 was written.
    static func literal(_ d: Double) -> String {
        if d == d.rounded(), let whole = UInt64(exactly: d.magnitude) { return (d < 0 ? "-" : "") + String(whole) }
        return JSONWriter.format(d)
    }

    /// The Go type a field of this schema has, as `reflect.Type.String()` prints it in decode errors.
    static func goType(_ schema: Schema) -> String {
        switch schema.resolved {
        case .string(let format, _): return format == "byte" ? "[]uint8" : "string"
        case .time: return "string"
        case .integer(let format): return format == "int64" ? "int64" : "int32"
        case .number: return "float64"
        case .boolean: return "bool"
        case .intOrString: return "int32"
        case .quantity: return "resource.Quantity"
        case .object(_, _, _, let goType): return goType.isEmpty ? "map[string]interface {}" : "v1.\(goType)"
        case .map(let element): return "map[string]" + goType(element)
        case .list(let element, _, _): return "[]" + goType(element)
        case .preserveUnknown, .ref: return "interface {}"
        }
    }
}
