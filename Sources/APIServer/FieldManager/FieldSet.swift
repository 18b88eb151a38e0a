import KubeJSON

/// One step of a field path, as managedFields' FieldsV1 spells them: `f:name` (a field or map key), `k:{"name":"c"}`
/// (an associative list item by its keys), `v:"x"` (a set element).
enum PathElement: Hashable, Sendable {
    case field(String)
    case key(JSONValue)
    case value(JSONValue)

    /// The FieldsV1 key.
    var fieldsV1Key: String {
        switch self {
        case .field(let name): return "f:" + name
        case .key(let keys): return "k:" + JSONWriter.string(keys)
        case .value(let value): return "v:" + JSONWriter.string(value)
        }
    }

    init?(fieldsV1Key key: String) {
        if key.hasPrefix("f:") {
            self = .field(String(key.dropFirst(2)))
        } else if key.hasPrefix("k:"), let json = try? JSONParser.parse(Array(key.utf8.dropFirst(2))) {
            self = .key(json)
        } else if key.hasPrefix("v:"), let json = try? JSONParser.parse(Array(key.utf8.dropFirst(2))) {
            self = .value(json)
        } else {
            return nil
        }
    }

    /// As structured-merge-diff prints paths in conflict messages: `.spec.replicas`, `[name="nginx"]`, `[="x"]`.
    var display: String {
        func literal(_ v: JSONValue) -> String { v.string.map { "\"\($0)\"" } ?? JSONWriter.string(v) }
        switch self {
        case .field(let name): return "." + name
        case .key(let keys):
            let parts = (keys.object ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\(literal($0.value))" }
            return "[" + parts.joined(separator: ",") + "]"
        case .value(let value): return "[=" + literal(value) + "]"
        }
    }
}

typealias FieldPath = [PathElement]

extension Array where Element == PathElement {
    var display: String { map(\.display).joined() }
}

/// The fields a manager owns, as a set of paths; converts to and from FieldsV1 (a tree where `.` marks a node owned
/// itself, as list items and maps are).
struct FieldSet: Sendable, Equatable {
    var paths: Set<FieldPath> = []

    var isEmpty: Bool { paths.isEmpty }
    func contains(_ path: FieldPath) -> Bool { paths.contains(path) }
    func union(_ other: FieldSet) -> FieldSet { FieldSet(paths: paths.union(other.paths)) }
    func subtracting(_ other: FieldSet) -> FieldSet { FieldSet(paths: paths.subtracting(other.paths)) }
    func intersection(_ other: FieldSet) -> FieldSet { FieldSet(paths: paths.intersection(other.paths)) }
    /// Paths at or below `prefix`.
    func under(_ prefix: FieldPath) -> FieldSet { FieldSet(paths: paths.filter { $0.starts(with: prefix) }) }

    var fieldsV1: JSONValue {
        final class Node {
            var owned = false
            var children: [PathElement: Node] = [:]
        }
        let root = Node()
        for path in paths {
            var node = root
            for element in path {
                if let next = node.children[element] { node = next } else {
                    let next = Node()
                    node.children[element] = next
                    node = next
                }
            }
            node.owned = true
        }
        func json(_ node: Node) -> JSONValue {
            var object: [String: JSONValue] = [:]
            // A node with children that is owned itself says so with "."; a leaf is just {}.
            if node.owned, !node.children.isEmpty { object["."] = .emptyObject }
            for (element, child) in node.children { object[element.fieldsV1Key] = json(child) }
            return .object(object)
        }
        return json(root)
    }

    init(paths: Set<FieldPath> = []) { self.paths = paths }

    init(fieldsV1 json: JSONValue) {
        var paths: Set<FieldPath> = []
        func walk(_ node: JSONValue, _ prefix: FieldPath) {
            let object = node.object ?? [:]
            if object.isEmpty || object["."] != nil, !prefix.isEmpty { paths.insert(prefix) }
            for (key, child) in object where key != "." {
                guard let element = PathElement(fieldsV1Key: key) else { continue }
                walk(child, prefix + [element])
            }
        }
        walk(json, [])
        self.paths = paths
    }
}
