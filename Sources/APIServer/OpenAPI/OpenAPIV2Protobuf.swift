import KubeJSON

/// `/openapi/v2` in `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, which kubectl asks for (and only
/// that) when it validates a `kind: List` or falls back from v3: the JSON document written as gnostic's
/// openapi.v2.Document (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto). Maps are lists of
/// Named* pairs, `x-` keys vendor extensions, and free values (`default`, `enum`, `example`, extensions) YAML text
/// in an Any; JSON is YAML, so they are written as JSON.
enum OpenAPIV2Protobuf {
    static let contentType = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"

    /// Whether the client's first usable choice is the protobuf form.
    static func preferred(_ accept: String?) -> Bool {
        for clause in (accept ?? "").split(separator: ",") {
            let type = clause.split(separator: ";").first.map { $0.trimmingCharacters() } ?? ""
            if type.hasPrefix("application/com.github.proto-openapi.spec.v2") { return true }
            if type == "application/json" || type == "*/*" || type == "application/*" { return false }
        }
        return false
    }

    static func encode(_ document: JSONValue) -> [UInt8] {
        guard let doc = document.object else { return [] }
        var out = ProtoWriter()
        string(&out, 1, doc["swagger"])
        if let info = doc["info"]?.object {
            var w = ProtoWriter()
            for (n, key) in [(1, "title"), (2, "version"), (3, "description"), (4, "termsOfService")] { string(&w, n, info[key]) }
            extensions(&w, 7, info)
            out.bytes(2, w.bytes)
        }
        string(&out, 3, doc["host"])
        string(&out, 4, doc["basePath"])
        strings(&out, 5, doc["schemes"])
        strings(&out, 6, doc["consumes"])
        strings(&out, 7, doc["produces"])
        if let paths = doc["paths"]?.object {
            var w = ProtoWriter()
            extensions(&w, 1, paths)
            for key in paths.keys.sorted() where !key.hasPrefix("x-") {
                guard let item = paths[key]?.object else { continue }
                w.bytes(2, named(key, pathItem(item)))
            }
            out.bytes(8, w.bytes)
        }
        if let definitions = doc["definitions"]?.object {
            out.bytes(9, namedList(definitions) { schema($0) })
        }
        if let parameters = doc["parameters"]?.object {
            out.bytes(10, namedList(parameters) { parameter($0) })
        }
        if let responses = doc["responses"]?.object {
            out.bytes(11, namedList(responses) { response($0) })
        }
        for requirement in doc["security"]?.array ?? [] { out.bytes(12, securityRequirement(requirement)) }
        if let definitions = doc["securityDefinitions"]?.object {
            out.bytes(13, namedList(definitions) { securityDefinition($0) })
        }
        extensions(&out, 16, doc)
        return out.bytes
    }

    // MARK: pieces

    static func string(_ w: inout ProtoWriter, _ n: Int, _ v: JSONValue?) {
        if let s = v?.string, !s.isEmpty { w.string(n, s) }
    }

    static func strings(_ w: inout ProtoWriter, _ n: Int, _ v: JSONValue?) {
        for s in v?.array ?? [] { if let s = s.string { w.string(n, s) } }
    }

    static func bool(_ w: inout ProtoWriter, _ n: Int, _ v: JSONValue?) {
        if v?.bool == true { w.bool(n, true) }
    }

    static func int(_ w: inout ProtoWriter, _ n: Int, _ v: JSONValue?) {
        if let i = v?.int, i != 0 { w.int(n, i) }
    }

    static func double(_ w: inout ProtoWriter, _ n: Int, _ v: JSONValue?) {
        switch v {
        case .int(let i)?: w.fixed(n, Double(i).bitPattern, width: 8)
        case .double(let d)?: w.fixed(n, d.bitPattern, width: 8)
        default: break
        }
    }

    /// An Any holding the value as YAML text.
    static func any(_ value: JSONValue) -> [UInt8] {
        var w = ProtoWriter()
        w.string(2, JSONWriter.string(value) + "\n")
        return w.bytes
    }

    static func named(_ name: String, _ value: [UInt8]) -> [UInt8] {
        var w = ProtoWriter()
        w.string(1, name)
        w.bytes(2, value)
        return w.bytes
    }

    /// A map as the message whose field 1 is its repeated Named* entries (Definitions, Properties…), keys sorted.
    static func namedList(_ map: [String: JSONValue], _ value: (JSONValue) -> [UInt8]) -> [UInt8] {
        var w = ProtoWriter()
        for key in map.keys.sorted() {
            guard let v = map[key] else { continue }
            w.bytes(1, named(key, value(v)))
        }
        return w.bytes
    }

    static func extensions(_ w: inout ProtoWriter, _ n: Int, _ object: [String: JSONValue]) {
        for key in object.keys.sorted() where key.hasPrefix("x-") {
            guard let v = object[key] else { continue }
            w.bytes(n, named(key, any(v)))
        }
    }

    static func reference(_ ref: String, description: JSONValue?) -> [UInt8] {
        var w = ProtoWriter()
        w.string(1, ref)
        string(&w, 2, description)
        return w.bytes
    }

    static func schema(_ value: JSONValue) -> [UInt8] {
        guard let s = value.object else { return [] }
        var w = ProtoWriter()
        string(&w, 1, s["$ref"])
        string(&w, 2, s["format"])
        string(&w, 3, s["title"])
        string(&w, 4, s["description"])
        if let d = s["default"] { w.bytes(5, any(d)) }
        double(&w, 6, s["multipleOf"])
        double(&w, 7, s["maximum"])
        bool(&w, 8, s["exclusiveMaximum"])
        double(&w, 9, s["minimum"])
        bool(&w, 10, s["exclusiveMinimum"])
        for (n, key) in [(11, "maxLength"), (12, "minLength")] { int(&w, n, s[key]) }
        string(&w, 13, s["pattern"])
        for (n, key) in [(14, "maxItems"), (15, "minItems")] { int(&w, n, s[key]) }
        bool(&w, 16, s["uniqueItems"])
        for (n, key) in [(17, "maxProperties"), (18, "minProperties")] { int(&w, n, s[key]) }
        strings(&w, 19, s["required"])
        for e in s["enum"]?.array ?? [] { w.bytes(20, any(e)) }
        if let additional = s["additionalProperties"] {
            var a = ProtoWriter()
            if let b = additional.bool { a.bool(2, b) } else { a.bytes(1, schema(additional)) }
            w.bytes(21, a.bytes)
        }
        if let type = s["type"] {
            var t = ProtoWriter()
            if let one = type.string { t.string(1, one) } else { strings(&t, 1, type) }
            w.bytes(22, t.bytes)
        }
        if let items = s["items"] {
            var i = ProtoWriter()
            for item in items.array ?? [items] { i.bytes(1, schema(item)) }
            w.bytes(23, i.bytes)
        }
        for part in s["allOf"]?.array ?? [] { w.bytes(24, schema(part)) }
        if let properties = s["properties"]?.object { w.bytes(25, namedList(properties) { schema($0) }) }
        string(&w, 26, s["discriminator"])
        bool(&w, 27, s["readOnly"])
        if let example = s["example"] { w.bytes(30, any(example)) }
        extensions(&w, 31, s)
        return w.bytes
    }

    static func pathItem(_ item: [String: JSONValue]) -> [UInt8] {
        var w = ProtoWriter()
        string(&w, 1, item["$ref"])
        for (n, verb) in [(2, "get"), (3, "put"), (4, "post"), (5, "delete"), (6, "options"), (7, "head"), (8, "patch")] {
            if let op = item[verb]?.object { w.bytes(n, operation(op)) }
        }
        for p in item["parameters"]?.array ?? [] { w.bytes(9, parametersItem(p)) }
        extensions(&w, 10, item)
        return w.bytes
    }

    static func operation(_ op: [String: JSONValue]) -> [UInt8] {
        var w = ProtoWriter()
        strings(&w, 1, op["tags"])
        string(&w, 2, op["summary"])
        string(&w, 3, op["description"])
        string(&w, 5, op["operationId"])
        strings(&w, 6, op["produces"])
        strings(&w, 7, op["consumes"])
        for p in op["parameters"]?.array ?? [] { w.bytes(8, parametersItem(p)) }
        if let responses = op["responses"]?.object {
            var r = ProtoWriter()
            for code in responses.keys.sorted() where !code.hasPrefix("x-") {
                guard let value = responses[code] else { continue }
                var rv = ProtoWriter()
                if let ref = value["$ref"]?.string {
                    rv.bytes(2, reference(ref, description: value["description"]))
                } else {
                    rv.bytes(1, response(value))
                }
                r.bytes(1, named(code, rv.bytes))
            }
            extensions(&r, 2, responses)
            w.bytes(9, r.bytes)
        }
        strings(&w, 10, op["schemes"])
        bool(&w, 11, op["deprecated"])
        for requirement in op["security"]?.array ?? [] { w.bytes(12, securityRequirement(requirement)) }
        extensions(&w, 13, op)
        return w.bytes
    }

    static func response(_ value: JSONValue) -> [UInt8] {
        guard let r = value.object else { return [] }
        var w = ProtoWriter()
        string(&w, 1, r["description"])
        if let s = r["schema"] {
            var item = ProtoWriter()
            item.bytes(1, schema(s))
            w.bytes(2, item.bytes)
        }
        extensions(&w, 5, r)
        return w.bytes
    }

    static func parametersItem(_ value: JSONValue) -> [UInt8] {
        var w = ProtoWriter()
        if let ref = value["$ref"]?.string {
            w.bytes(2, reference(ref, description: value["description"]))
        } else {
            w.bytes(1, parameter(value))
        }
        return w.bytes
    }

    /// A body parameter, or a header/formData/query/path one (each its own message, numbered alike from `type` on
    /// but for query and formData's allowEmptyValue at 5).
    static func parameter(_ value: JSONValue) -> [UInt8] {
        guard let p = value.object else { return [] }
        var w = ProtoWriter()
        let location = p["in"]?.string ?? ""
        if location == "body" {
            var b = ProtoWriter()
            string(&b, 1, p["description"])
            string(&b, 2, p["name"])
            string(&b, 3, p["in"])
            bool(&b, 4, p["required"])
            if let s = p["schema"] { b.bytes(5, schema(s)) }
            extensions(&b, 6, p)
            w.bytes(1, b.bytes)
            return w.bytes
        }
        var s = ProtoWriter()
        bool(&s, 1, p["required"])
        string(&s, 2, p["in"])
        string(&s, 3, p["description"])
        string(&s, 4, p["name"])
        let hasAllowEmpty = location == "query" || location == "formData"
        if hasAllowEmpty { bool(&s, 5, p["allowEmptyValue"]) }
        let base = hasAllowEmpty ? 6 : 5
        string(&s, base, p["type"])
        string(&s, base + 1, p["format"])
        string(&s, base + 3, p["collectionFormat"])
        if let d = p["default"] { s.bytes(base + 4, any(d)) }
        double(&s, base + 5, p["maximum"])
        bool(&s, base + 6, p["exclusiveMaximum"])
        double(&s, base + 7, p["minimum"])
        bool(&s, base + 8, p["exclusiveMinimum"])
        int(&s, base + 9, p["maxLength"])
        int(&s, base + 10, p["minLength"])
        string(&s, base + 11, p["pattern"])
        int(&s, base + 12, p["maxItems"])
        int(&s, base + 13, p["minItems"])
        bool(&s, base + 14, p["uniqueItems"])
        for e in p["enum"]?.array ?? [] { s.bytes(base + 15, any(e)) }
        double(&s, base + 16, p["multipleOf"])
        extensions(&s, base + 17, p)
        let choice: Int
        switch location {
        case "header": choice = 1
        case "formData": choice = 2
        case "query": choice = 3
        default: choice = 4
        }
        var nonBody = ProtoWriter()
        nonBody.bytes(choice, s.bytes)
        w.bytes(2, nonBody.bytes)
        return w.bytes
    }

    static func securityRequirement(_ value: JSONValue) -> [UInt8] {
        var w = ProtoWriter()
        for (name, scopes) in (value.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            var array = ProtoWriter()
            strings(&array, 1, scopes)
            w.bytes(1, named(name, array.bytes))
        }
        return w.bytes
    }

    static func securityDefinition(_ value: JSONValue) -> [UInt8] {
        guard let d = value.object else { return [] }
        var w = ProtoWriter()
        var s = ProtoWriter()
        switch d["type"]?.string {
        case "basic":
            string(&s, 1, d["type"])
            string(&s, 2, d["description"])
            extensions(&s, 3, d)
            w.bytes(1, s.bytes)
        case "apiKey":
            string(&s, 1, d["type"])
            string(&s, 2, d["name"])
            string(&s, 3, d["in"])
            string(&s, 4, d["description"])
            extensions(&s, 5, d)
            w.bytes(2, s.bytes)
        default:
            break
        }
        return w.bytes
    }
}
