/// Renders a Codable coding path the way Kubernetes names fields: `spec.containers[0].image`.
enum FieldPath {
    static func render(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return out
    }

    static func child(_ parent: String, key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }

    static func child(_ parent: String, index: Int) -> String {
        "\(parent)[\(index)]"
    }
}

/// A coding key for sequence positions and for arbitrary mapping keys.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue; self.intValue = nil }
    init(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
}
