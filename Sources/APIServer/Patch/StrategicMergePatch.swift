import KubeJSON

/// Strategic merge patch (`application/strategic-merge-patch+json`), what `kubectl apply`, `label`, `annotate`
/// and `edit` send for built-in kinds: like a merge patch, except that lists with a merge key (containers by
/// name, ports by containerPort, …) are merged element by element, and the `$patch`, `$retainKeys`,
/// `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` directives are honoured.
enum StrategicMergePatch {
    static func apply(_ patch: JSONValue, to original: JSONValue, schema: Schema?) throws(StatusError) -> JSONValue {
        guard patch.object != nil else { throw .badRequest("unable to find api field in struct ... for the json field") }
        return try mergeMap(original, patch, schema)
    }

    static func mergeMap(_ original: JSONValue, _ patch: JSONValue, _ schema: Schema?) throws(StatusError) -> JSONValue {
        guard var patchMap = patch.object else { return patch }
        if let directive = patchMap["$patch"]?.string {
            patchMap["$patch"] = nil
            switch directive {
            case "replace": return .object(patchMap.filter { !$0.key.hasPrefix("$") })
            case "delete": return .null
            default: throw .badRequest("Unknown patch type: \(directive)")
            }
        }
        var result = original.object ?? [:]
        var retainKeys: [String]?
        if let keys = patchMap["$retainKeys"]?.array {
            retainKeys = keys.compactMap(\.string)
            patchMap["$retainKeys"] = nil
        }
        var orders: [String: [JSONValue]] = [:]
        for (key, value) in patchMap {
            if key.hasPrefix("$setElementOrder/") {
                orders[String(key.dropFirst("$setElementOrder/".count))] = value.array ?? []
                continue
            }
            if key.hasPrefix("$deleteFromPrimitiveList/") {
                let field = String(key.dropFirst("$deleteFromPrimitiveList/".count))
                let remove = value.array ?? []
                if let list = result[field]?.array { result[field] = .array(list.filter { !remove.contains($0) }) }
                continue
            }
            if key.hasPrefix("$") { continue }
            let childSchema = schema?.property(key)
            if value == .null {
                result[key] = nil
                continue
            }
            let current = result[key] ?? .null
            switch value {
            case .object:
                let merged = try mergeMap(current.object == nil ? .emptyObject : current, value, childSchema)
                result[key] = merged == .null ? nil : merged
            case .array(let patchList):
                result[key] = .array(try mergeList(current.array ?? [], patchList, childSchema))
            default:
                result[key] = value
            }
        }
        for (field, order) in orders { result[field] = reorder(result[field], order, schema?.property(field)) }
        if let retainKeys { result = result.filter { retainKeys.contains($0.key) } }
        return .object(result)
    }

    static func listInfo(_ schema: Schema?) -> (element: Schema?, mergeKey: String?, isSet: Bool) {
        guard let schema, case .list(let element, let mergeKey, let listType) = schema.resolved else { return (nil, nil, false) }
        return (element, mergeKey, listType == "set")
    }

    static func mergeList(_ original: [JSONValue], _ patch: [JSONValue], _ schema: Schema?) throws(StatusError) -> [JSONValue] {
        let (element, mergeKey, isSet) = listInfo(schema)
        if patch.contains(where: { $0["$patch"]?.string == "replace" }) {
            return patch.filter { $0["$patch"]?.string != "replace" }
        }
        if isSet {
            var result = original
            for v in patch where !result.contains(v) { result.append(v) }
            return result
        }
        guard let mergeKey else { return patch }
        var result = original
        for item in patch {
            guard let keyValue = item[mergeKey] else {
                throw .badRequest("map: \(item) does not contain declared merge key: \(mergeKey)")
            }
            let index = result.firstIndex { $0[mergeKey] == keyValue }
            if item["$patch"]?.string == "delete" {
                if let index { result.remove(at: index) }
                continue
            }
            if let index {
                result[index] = try mergeMap(result[index], item, element)
            } else {
                var fresh = try mergeMap(.emptyObject, item, element)
                if fresh == .null { continue }
                fresh[mergeKey] = keyValue
                result.append(fresh)
            }
        }
        return result
    }

    /// `$setElementOrder/<list>`: the patch's element order wins, elements not named keep their relative place after.
    static func reorder(_ list: JSONValue?, _ order: [JSONValue], _ schema: Schema?) -> JSONValue? {
        guard let items = list?.array else { return list }
        let (_, mergeKey, _) = listInfo(schema)
        func key(_ v: JSONValue) -> JSONValue { mergeKey.flatMap { v[$0] } ?? v }
        let orderKeys = order.map { o -> JSONValue in mergeKey.flatMap { o[$0] } ?? o }
        var sorted: [JSONValue] = []
        for k in orderKeys { if let item = items.first(where: { key($0) == k }) { sorted.append(item) } }
        for item in items where !orderKeys.contains(key(item)) { sorted.append(item) }
        return .array(sorted)
    }
}
