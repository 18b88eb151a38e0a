/// Upstream's protobuf messages as the codec walks them, read once from the generated `ProtoSchema.text`.
struct ProtoTables: Sendable {
    /// JSON forms that are not an object of the message's fields (upstream's custom MarshalJSON).
    enum Special: String, Sendable {
        case time, microtime, duration, rawjson, intorstring, quantity, array, schemaorarray, schemaorbool,
             schemaorstringarray
    }

    enum Scalar: Sendable, Equatable {
        case string, bytes, bool, int32, int64, uint32, uint64, double, float
        case message(String)

        init(_ name: String) {
            switch name {
            case "string": self = .string
            case "bytes": self = .bytes
            case "bool": self = .bool
            case "int32", "sint32", "sfixed32": self = .int32
            case "int64", "sint64", "sfixed64": self = .int64
            case "uint32", "fixed32": self = .uint32
            case "uint64", "fixed64": self = .uint64
            case "double": self = .double
            case "float": self = .float
            default: self = .message(name)
            }
        }

        /// The wire type a single value of this type is written with.
        var wireType: Int {
            switch self {
            case .string, .bytes, .message: return 2
            case .double: return 1
            case .float: return 5
            default: return 0
            }
        }
    }

    struct Field: Sendable {
        let number: Int
        /// The Go struct's JSON name (`$ref`, `x-kubernetes-list-type`); for an inlined field, unused.
        let jsonName: String
        let type: Scalar
        let repeated: Bool
        /// `map<string, type>`.
        let map: Bool
        /// A Go pointer: a zero value that was set is kept.
        let pointer: Bool
        let omitEmpty: Bool
        /// A Go embedded struct with `json:",inline"`: its fields are the parent's in JSON.
        let inline: Bool
    }

    struct Message: Sendable {
        let name: String
        let special: Special?
        let fields: [Field]
        let byNumber: [Int: Int]
    }

    let messages: [String: Message]
    /// `group/version` → package prefix of its messages (`apps/v1` → `apps.v1`, `/v1` → `core.v1`).
    let packages: [String: String]

    static let shared = ProtoTables(text: ProtoSchema.text)

    init(text: String) {
        var messages: [String: Message] = [:]
        var packages: [String: String] = [:]
        var current: (name: String, special: Special?)?
        var fields: [Field] = []
        func finish() {
            guard let current else { return }
            let sorted = fields.sorted { $0.number < $1.number }
            var index: [Int: Int] = [:]
            for (i, f) in sorted.enumerated() { index[f.number] = i }
            messages[current.name] = Message(name: current.name, special: current.special, fields: sorted, byNumber: index)
        }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ").map(String.init)
            if parts.first == "P", parts.count == 3 {
                packages[parts[1]] = parts[2]
            } else if parts.first == "M", parts.count >= 2 {
                finish()
                current = (parts[1], parts.count > 2 ? Special(rawValue: parts[2]) : nil)
                fields = []
            } else if parts.count == 4, let number = Int(parts[0]) {
                let flags = parts[3]
                fields.append(Field(number: number, jsonName: parts[1], type: Scalar(parts[2]), repeated: flags.contains("r"),
                                    map: flags.contains("m"), pointer: flags.contains("p"), omitEmpty: flags.contains("e"),
                                    inline: flags.contains("i")))
            }
        }
        finish()
        self.messages = messages
        self.packages = packages
    }

    /// The message of a kind in an apiVersion; the meta.k8s.io kinds every group version carries (DeleteOptions,
    /// Status, WatchEvent…) come from meta/v1 when the group's package has no message of that name.
    func message(apiVersion: String, kind: String) -> Message? {
        let groupVersion = apiVersion.contains("/") ? apiVersion : "/" + apiVersion
        if let package = packages[groupVersion], let message = messages[package + "." + kind] { return message }
        return messages["meta.v1." + kind]
    }
}
