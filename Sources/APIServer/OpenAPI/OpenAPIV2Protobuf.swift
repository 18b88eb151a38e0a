import KubeJSON

/// `/openapi/v2` as `application/com.github.proto-openapi.spec.v2.v1.0+protobuf`: gnostic's OpenAPIv2 `Document`
/// (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto) written from the JSON document, as kube-openapi's
/// handler converts its JSON with gnostic. client-go's `OpenAPISchema()` asks for this form only; kubectl reads it for
/// client-side validation (`--validate=strict` on kinds the v3 documents do not answer for, and every `kind: List`),
/// `explain --output plaintext-openapiv2`, and the patches of kinds v3 does not describe.
///
/// Each function below is one message of OpenAPIv2.proto; the field numbers are that file's. JSON keys a message does
/// not have are left out (gnostic refuses them), `x-` keys become `vendor_extension` entries whose `Any.yaml` is the
/// value in YAML's flow form (JSON text), which is how gnostic keeps them from a JSON document.
enum OpenAPIV2Protobuf {
    static func document(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["swagger"])
        m.message(2, json["info"], info)
        m.string(3, json["host"])
        m.string(4, json["basePath"])
        m.strings(5, json["schemes"])
        m.strings(6, json["consumes"])
        m.strings(7, json["produces"])
        m.message(8, json["paths"], paths)
        m.message(9, json["definitions"]) { named($0, schema) }
        m.message(10, json["parameters"]) { named($0, parameter) }
        m.message(11, json["responses"]) { named($0, response) }
        m.messages(12, json["security"], securityRequirement)
        m.message(13, json["securityDefinitions"]) { named($0, securityDefinitionsItem) }
        m.messages(14, json["tags"], tag)
        m.message(15, json["externalDocs"], externalDocs)
        m.vendorExtensions(16, json)
        return m.bytes
    }

    static func info(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["title"])
        m.string(2, json["version"])
        m.string(3, json["description"])
        m.string(4, json["termsOfService"])
        m.message(5, json["contact"]) { c in
            var m = Message()
            m.string(1, c["name"])
            m.string(2, c["url"])
            m.string(3, c["email"])
            m.vendorExtensions(4, c)
            return m.bytes
        }
        m.message(6, json["license"]) { l in
            var m = Message()
            m.string(1, l["name"])
            m.string(2, l["url"])
            m.vendorExtensions(3, l)
            return m.bytes
        }
        m.vendorExtensions(7, json)
        return m.bytes
    }

    /// `Paths`: `vendor_extension = 1`, `path = 2` (NamedPathItem).
    static func paths(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.vendorExtensions(1, json)
        for (name, item) in sortedEntries(json) where !name.hasPrefix("x-") {
            m.message(2, pair(name, pathItem(item)))
        }
        return m.bytes
    }

    static func pathItem(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["$ref"])
        for (field, method) in [(2, "get"), (3, "put"), (4, "post"), (5, "delete"), (6, "options"), (7, "head"), (8, "patch")] {
            m.message(field, json[method], operation)
        }
        m.messages(9, json["parameters"], parametersItem)
        m.vendorExtensions(10, json)
        return m.bytes
    }

    static func operation(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.strings(1, json["tags"])
        m.string(2, json["summary"])
        m.string(3, json["description"])
        m.message(4, json["externalDocs"], externalDocs)
        m.string(5, json["operationId"])
        m.strings(6, json["produces"])
        m.strings(7, json["consumes"])
        m.messages(8, json["parameters"], parametersItem)
        m.message(9, json["responses"], responses)
        m.strings(10, json["schemes"])
        m.bool(11, json["deprecated"])
        m.messages(12, json["security"], securityRequirement)
        m.vendorExtensions(13, json)
        return m.bytes
    }

    /// `ParametersItem`: a `$ref` is a JsonReference (2), anything else a Parameter (1).
    static func parametersItem(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        if json["$ref"] != nil { m.message(2, jsonReference(json)) } else { m.message(1, parameter(json)) }
        return m.bytes
    }

    static func jsonReference(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["$ref"])
        m.string(2, json["description"])
        return m.bytes
    }

    /// `Parameter`: `in: body` is a BodyParameter (1); header, formData, query and path parameters are the
    /// NonBodyParameter (2) sub-schemas 1-4.
    static func parameter(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        guard let location = json["in"]?.string, location != "body" else {
            var body = Message()
            body.string(1, json["description"])
            body.string(2, json["name"])
            body.string(3, json["in"])
            body.bool(4, json["required"])
            body.message(5, json["schema"], schema)
            body.vendorExtensions(6, json)
            m.message(1, body.bytes)
            return m.bytes
        }
        var nonBody = Message()
        switch location {
        case "query": nonBody.message(3, querySubSchema(json))
        case "formData": nonBody.message(2, querySubSchema(json, formData: true))
        case "path": nonBody.message(4, pathSubSchema(json))
        default: nonBody.message(1, pathSubSchema(json))
        }
        m.message(2, nonBody.bytes)
        return m.bytes
    }

    /// QueryParameterSubSchema and FormDataParameterSubSchema share their numbering.
    static func querySubSchema(_ json: JSONValue, formData: Bool = false) -> [UInt8] {
        var m = Message()
        m.bool(1, json["required"])
        m.string(2, json["in"])
        m.string(3, json["description"])
        m.string(4, json["name"])
        m.bool(5, json["allowEmptyValue"])
        m.string(6, json["type"])
        m.string(7, json["format"])
        m.message(8, json["items"], primitivesItems)
        m.string(9, json["collectionFormat"])
        m.any(10, json["default"])
        m.bool(20, json["uniqueItems"])
        m.anys(21, json["enum"])
        m.vendorExtensions(23, json)
        return m.bytes
    }

    /// PathParameterSubSchema and HeaderParameterSubSchema share their numbering.
    static func pathSubSchema(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.bool(1, json["required"])
        m.string(2, json["in"])
        m.string(3, json["description"])
        m.string(4, json["name"])
        m.string(5, json["type"])
        m.string(6, json["format"])
        m.message(7, json["items"], primitivesItems)
        m.string(8, json["collectionFormat"])
        m.any(9, json["default"])
        m.bool(19, json["uniqueItems"])
        m.anys(20, json["enum"])
        m.vendorExtensions(22, json)
        return m.bytes
    }

    static func primitivesItems(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["type"])
        m.string(2, json["format"])
        m.message(3, json["items"], primitivesItems)
        m.string(4, json["collectionFormat"])
        m.any(5, json["default"])
        m.bool(15, json["uniqueItems"])
        m.anys(16, json["enum"])
        m.vendorExtensions(18, json)
        return m.bytes
    }

    /// `Responses`: `response_code = 1` (NamedResponseValue), `vendor_extension = 2`.
    static func responses(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        for (code, value) in sortedEntries(json) where !code.hasPrefix("x-") {
            var responseValue = Message()
            if value["$ref"] != nil { responseValue.message(2, jsonReference(value)) } else { responseValue.message(1, response(value)) }
            m.message(1, pair(code, responseValue.bytes))
        }
        m.vendorExtensions(2, json)
        return m.bytes
    }

    static func response(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["description"])
        m.message(2, json["schema"]) { s in
            var item = Message()
            item.message(1, schema(s))
            return item.bytes
        }
        m.vendorExtensions(5, json)
        return m.bytes
    }

    static func securityRequirement(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        for (name, scopes) in sortedEntries(json) {
            var array = Message()
            array.strings(1, scopes)
            m.message(1, pair(name, array.bytes))
        }
        return m.bytes
    }

    /// `SecurityDefinitionsItem`: the one this server publishes is an API key (BearerToken), field 2.
    static func securityDefinitionsItem(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        switch json["type"]?.string {
        case "apiKey":
            var key = Message()
            key.string(1, json["type"])
            key.string(2, json["name"])
            key.string(3, json["in"])
            key.string(4, json["description"])
            key.vendorExtensions(5, json)
            m.message(2, key.bytes)
        case "basic":
            var basic = Message()
            basic.string(1, json["type"])
            basic.string(2, json["description"])
            basic.vendorExtensions(3, json)
            m.message(1, basic.bytes)
        default:
            break
        }
        return m.bytes
    }

    static func tag(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["name"])
        m.string(2, json["description"])
        m.message(3, json["externalDocs"], externalDocs)
        m.vendorExtensions(4, json)
        return m.bytes
    }

    static func externalDocs(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["description"])
        m.string(2, json["url"])
        m.vendorExtensions(3, json)
        return m.bytes
    }

    static func schema(_ json: JSONValue) -> [UInt8] {
        var m = Message()
        m.string(1, json["$ref"])
        m.string(2, json["format"])
        m.string(3, json["title"])
        m.string(4, json["description"])
        m.any(5, json["default"])
        m.double(6, json["multipleOf"])
        m.double(7, json["maximum"])
        m.bool(8, json["exclusiveMaximum"])
        m.double(9, json["minimum"])
        m.bool(10, json["exclusiveMinimum"])
        m.int64(11, json["maxLength"])
        m.int64(12, json["minLength"])
        m.string(13, json["pattern"])
        m.int64(14, json["maxItems"])
        m.int64(15, json["minItems"])
        m.bool(16, json["uniqueItems"])
        m.int64(17, json["maxProperties"])
        m.int64(18, json["minProperties"])
        m.strings(19, json["required"])
        m.anys(20, json["enum"])
        if let additional = json["additionalProperties"] {
            // AdditionalPropertiesItem: a schema (1) or a boolean (2).
            var item = Message()
            if case .bool(let allowed) = additional {
                item.key(2, wire: 0)
                item.varint(allowed ? 1 : 0)
            } else {
                item.message(1, schema(additional))
            }
            m.message(21, item.bytes)
        }
        if let type = json["type"] {
            // TypeItem: one name or several.
            var item = Message()
            if case .string = type { item.string(1, type) } else { item.strings(1, type) }
            m.message(22, item.bytes)
        }
        if let items = json["items"] {
            // ItemsItem: one schema, or a list of them (tuple validation).
            var item = Message()
            if case .array(let schemas) = items { for s in schemas { item.message(1, schema(s)) } } else { item.message(1, schema(items)) }
            m.message(23, item.bytes)
        }
        m.messages(24, json["allOf"], schema)
        m.message(25, json["properties"]) { named($0, schema) }
        m.string(26, json["discriminator"])
        m.bool(27, json["readOnly"])
        m.message(29, json["externalDocs"], externalDocs)
        m.any(30, json["example"])
        m.vendorExtensions(31, json)
        return m.bytes
    }

    // MARK: shared shapes

    /// The `NamedX` messages: `name = 1`, `value = 2`.
    static func pair(_ name: String, _ value: [UInt8]) -> [UInt8] {
        var m = Message()
        m.string(1, .string(name))
        m.message(2, value)
        return m.bytes
    }

    /// A map message (`Definitions`, `Properties`, `ParameterDefinitions`, …): its entries as `additional_properties = 1`.
    static func named(_ json: JSONValue, _ value: (JSONValue) -> [UInt8]) -> [UInt8] {
        var m = Message()
        for (name, entry) in sortedEntries(json) { m.message(1, pair(name, value(entry))) }
        return m.bytes
    }

    /// Go writes maps sorted; the JSON document is written the same way, so both forms list entries alike.
    static func sortedEntries(_ json: JSONValue) -> [(String, JSONValue)] {
        (json.object ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// One message being written: proto3 rules, so empty strings, false and zero are not written.
    struct Message {
        var bytes: [UInt8] = []

        mutating func varint(_ value: UInt64) {
            var v = value
            while v >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
                v >>= 7
            }
            bytes.append(UInt8(truncatingIfNeeded: v))
        }

        mutating func key(_ field: Int, wire: Int) { varint(UInt64(truncatingIfNeeded: field << 3 | wire)) }

        mutating func lengthDelimited(_ field: Int, _ payload: [UInt8]) {
            key(field, wire: 2)
            varint(UInt64(payload.count))
            bytes += payload
        }

        mutating func string(_ field: Int, _ value: JSONValue?) {
            guard let s = value?.string, !s.isEmpty else { return }
            lengthDelimited(field, Array(s.utf8))
        }

        mutating func strings(_ field: Int, _ value: JSONValue?) {
            // Repeated strings keep empty entries: their position carries meaning.
            for element in value?.array ?? [] { if let s = element.string { lengthDelimited(field, Array(s.utf8)) } }
        }

        mutating func bool(_ field: Int, _ value: JSONValue?) {
            guard value?.bool == true else { return }
            key(field, wire: 0)
            varint(1)
        }

        mutating func int64(_ field: Int, _ value: JSONValue?) {
            guard let i = value?.int, i != 0 else { return }
            key(field, wire: 0)
            varint(UInt64(bitPattern: i))
        }

        mutating func double(_ field: Int, _ value: JSONValue?) {
            let number: Double
            switch value {
            case .int(let i)?: number = Double(i)
            case .double(let d)?: number = d
            default: return
            }
            guard number != 0 else { return }
            key(field, wire: 1)
            withUnsafeBytes(of: number.bitPattern.littleEndian) { bytes += $0 }
        }

        mutating func message(_ field: Int, _ payload: [UInt8]) { lengthDelimited(field, payload) }

        mutating func message(_ field: Int, _ value: JSONValue?, _ encode: (JSONValue) -> [UInt8]) {
            guard let value, !value.isNull else { return }
            lengthDelimited(field, encode(value))
        }

        mutating func messages(_ field: Int, _ value: JSONValue?, _ encode: (JSONValue) -> [UInt8]) {
            for element in value?.array ?? [] { lengthDelimited(field, encode(element)) }
        }

        /// `Any`: only its `yaml = 2` is written, as gnostic does for values it reads from a document.
        static func anyPayload(_ value: JSONValue) -> [UInt8] {
            var m = Message()
            m.lengthDelimited(2, JSONWriter.write(value) + [0x0A])
            return m.bytes
        }

        mutating func any(_ field: Int, _ value: JSONValue?) {
            guard let value else { return }
            lengthDelimited(field, Self.anyPayload(value))
        }

        mutating func anys(_ field: Int, _ value: JSONValue?) {
            for element in value?.array ?? [] { lengthDelimited(field, Self.anyPayload(element)) }
        }

        /// Every `x-` key of a JSON object as a `NamedAny` (`name = 1`, `value = 2`).
        mutating func vendorExtensions(_ field: Int, _ json: JSONValue) {
            for (name, value) in OpenAPIV2Protobuf.sortedEntries(json) where name.hasPrefix("x-") {
                var named = Message()
                named.string(1, .string(name))
                named.lengthDelimited(2, Self.anyPayload(value))
                lengthDelimited(field, named.bytes)
            }
        }
    }
}
