import KubeJSON

/// Whether an existing rule already grants all of a wanted one, field by field. Coarser than upstream's
/// per-verb breakdown (a rule covered only by two rules together counts as missing), which only means an
/// extra, equivalent rule is added once; after that the wanted rule is found as is.
enum PolicyRuleCover {
    static func covers(_ have: JSONValue, _ wanted: JSONValue) -> Bool {
        func values(_ rule: JSONValue, _ key: String) -> Set<String> { Set(rule[key]?.array?.compactMap(\.string) ?? []) }
        func field(_ key: String, emptyMeansAll: Bool = false) -> Bool {
            let h = values(have, key), w = values(wanted, key)
            if h.contains("*") { return true }
            if emptyMeansAll { return h.isEmpty || (!w.isEmpty && w.isSubset(of: h)) }
            return w.isSubset(of: h)
        }
        return field("verbs") && field("apiGroups") && field("resources") && field("nonResourceURLs")
            && field("resourceNames", emptyMeansAll: true)
    }

    static func sameSubject(_ a: JSONValue, _ b: JSONValue) -> Bool {
        a["kind"] == b["kind"] && a["name"] == b["name"] && (a["namespace"]?.string ?? "") == (b["namespace"]?.string ?? "")
    }
}
