import KubeJSON

/// Walks objects by their shape: the set of fields an object sets, what changed between two versions, merging an
/// applied configuration into a live object, and removing fields.
enum ObjectFields {
    /// Bookkeeping fields nobody owns (structured-merge-diff's ignored paths, plus the type meta).
    static func ignored(_ path: FieldPath) -> Bool {
        guard let first = path.first else { return false }
        switch first {
        case .field("apiVersion"), .field("kind"): return true
        case .field("metadata"):
            guard path.count > 1, case .field(let name) = path[1] else { return false }
            return ["managedFields", "resourceVersion", "uid", "creationTimestamp", "generation", "selfLink", "name", "namespace",
                    "generateName", "deletionTimestamp", "deletionGracePeriodSeconds"].contains(name)
        default: return false
        }
    }

    /// The key of an associative list item, nil when it lacks one of the keys.
    static func itemKey(_ item: JSONValue, _ keys: [String]) -> JSONValue? {
        var key: [String: JSONValue] = [:]
        for k in keys {
            guard let v = item[k], v != .null else { return nil }
            key[k] = v
        }
        return .object(key)
    }

    /// Every field the value sets.
    static func fieldSet(_ value: JSONValue, _ shape: FieldShape) -> FieldSet {
        var paths: Set<FieldPath> = []
        collect(value, shape, [], &paths)
        return FieldSet(paths: paths.filter { !ignored($0) })
    }

    private static func collect(_ value: JSONValue, _ shape: FieldShape, _ path: FieldPath, _ paths: inout Set<FieldPath>) {
        switch value {
        case .object(let object):
            if !path.isEmpty, shape.isMap || object.isEmpty { paths.insert(path) }
            for (key, child) in object { collect(child, shape.child(key), path + [.field(key)], &paths) }
        case .array(let items):
            switch shape.listKind {
            case .atomic:
                paths.insert(path)
            case .set:
                if items.isEmpty { paths.insert(path) }
                for item in items { paths.insert(path + [.value(item)]) }
            case .map(let keys):
                if items.isEmpty { paths.insert(path) }
                let itemShape = shape.item
                for item in items {
                    guard let key = itemKey(item, keys) else { paths.insert(path); continue }
                    let itemPath = path + [.key(key)]
                    paths.insert(itemPath)
                    for (field, child) in item.object ?? [:] { collect(child, itemShape.child(field), itemPath + [.field(field)], &paths) }
                }
            }
        default:
            if !path.isEmpty { paths.insert(path) }
        }
    }

    /// The value at a path, nil when absent.
    static func value(at path: FieldPath, in root: JSONValue, _ shape: FieldShape) -> JSONValue? {
        var current = root
        var currentShape = shape
        for element in path {
            switch element {
            case .field(let name):
                guard let next = current[name] else { return nil }
                current = next
                currentShape = currentShape.child(name)
            case .key(let key):
                guard case .map(let keys) = currentShape.listKind,
                      let item = current.array?.first(where: { itemKey($0, keys) == key }) else { return nil }
                current = item
                currentShape = currentShape.item
            case .value(let v):
                guard current.array?.contains(v) == true else { return nil }
                current = v
            }
        }
        return current
    }

    /// Fields set in `new` that were absent or different in `old` (added or modified), and fields of `old` gone from
    /// `new` (removed). A container (map, list item) compares by its own presence; leaves by value.
    static func changes(from old: JSONValue, to new: JSONValue, _ shape: FieldShape) -> (changed: FieldSet, removed: FieldSet) {
        let before = fieldSet(old, shape), after = fieldSet(new, shape)
        var changed: Set<FieldPath> = after.paths.subtracting(before.paths)
        // Containers (paths with paths below them) change through their children.
        var parents: Set<FieldPath> = []
        for path in after.paths where path.count > 1 {
            for length in 1..<path.count { parents.insert(Array(path.prefix(length))) }
        }
        for path in after.paths.intersection(before.paths) where !parents.contains(path) {
            if value(at: path, in: old, shape) != value(at: path, in: new, shape) { changed.insert(path) }
        }
        return (FieldSet(paths: changed), before.subtracting(after))
    }

    // MARK: applying

    /// Merges an applied configuration into the live object as server-side apply does: structs and maps field by
    /// field, associative lists item by item (by key), sets element by element, atomic lists and leaves replaced.
    static func merge(_ live: JSONValue, _ config: JSONValue, _ shape: FieldShape) -> JSONValue {
        switch (live, config) {
        case (.object(var l), .object(let c)):
            for (key, value) in c {
                l[key] = l[key].map { merge($0, value, shape.child(key)) } ?? value
            }
            return .object(l)
        case (.array(let l), .array(let c)):
            switch shape.listKind {
            case .atomic: return config
            case .set:
                var result = l
                for v in c where !result.contains(v) { result.append(v) }
                return .array(result)
            case .map(let keys):
                var result = l
                for item in c {
                    if let key = itemKey(item, keys), let index = result.firstIndex(where: { itemKey($0, keys) == key }) {
                        result[index] = merge(result[index], item, shape.item)
                    } else {
                        result.append(item)
                    }
                }
                return .array(result)
            }
        default:
            return config
        }
    }

    /// Removes the field at `path` (a struct field or map key, a list item, a set element).
    static func remove(_ path: FieldPath, from root: inout JSONValue, _ shape: FieldShape) {
        guard let first = path.first else { return }
        let rest = Array(path.dropFirst())
        switch first {
        case .field(let name):
            guard var object = root.object else { return }
            if rest.isEmpty {
                object[name] = nil
            } else if var child = object[name] {
                remove(rest, from: &child, shape.child(name))
                object[name] = child
            }
            root = .object(object)
        case .key(let key):
            guard case .map(let keys) = shape.listKind, var items = root.array,
                  let index = items.firstIndex(where: { itemKey($0, keys) == key }) else { return }
            if rest.isEmpty {
                items.remove(at: index)
            } else {
                remove(rest, from: &items[index], shape.item)
            }
            root = .array(items)
        case .value(let v):
            guard rest.isEmpty, var items = root.array else { return }
            items.removeAll { $0 == v }
            root = .array(items)
        }
    }
}
