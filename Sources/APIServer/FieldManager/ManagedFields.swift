import KubeJSON

/// `metadata.managedFields`: which manager owns which fields, kept on every write as upstream's field manager does.
/// An update (create, PUT, non-apply PATCH) gives its manager the fields it changed and takes them from everyone
/// else; an apply makes the applied fields the manager's, removes the fields it applied before and no longer
/// applies (unless someone else owns them), and refuses to change a field another manager owns (409) unless forced.
struct ManagedFieldsEntry: Sendable, Equatable {
    var manager: String
    var operation: String
    var apiVersion: String
    var time: String
    var subresource: String
    var fields: FieldSet

    var json: JSONValue {
        var entry: JSONValue = ["manager": .string(manager), "operation": .string(operation), "apiVersion": .string(apiVersion),
                                "time": .string(time), "fieldsType": "FieldsV1", "fieldsV1": fields.fieldsV1]
        if !subresource.isEmpty { entry["subresource"] = .string(subresource) }
        return entry
    }

    /// How conflict messages name a manager: appliers by name, updaters with the version they wrote.
    var described: String {
        var text = "\"\(manager)\""
        if !subresource.isEmpty { text += " with subresource \"\(subresource)\"" }
        if operation == "Update" { text += " using \(apiVersion)" }
        return text
    }

    func isSameManager(_ other: ManagedFieldsEntry) -> Bool {
        manager == other.manager && operation == other.operation && subresource == other.subresource
    }
}

enum ManagedFields {
    static func entries(of object: JSONValue?) -> [ManagedFieldsEntry] {
        (object?[path: ["metadata", "managedFields"]]?.array ?? []).compactMap { entry in
            guard let manager = entry["manager"]?.string, let operation = entry["operation"]?.string else { return nil }
            return ManagedFieldsEntry(manager: manager, operation: operation, apiVersion: entry["apiVersion"]?.string ?? "",
                                      time: entry["time"]?.string ?? "", subresource: entry["subresource"]?.string ?? "",
                                      fields: FieldSet(fieldsV1: entry["fieldsV1"] ?? .emptyObject))
        }
    }

    static func store(_ entries: [ManagedFieldsEntry], in object: inout JSONValue) {
        let kept = entries.filter { !$0.fields.isEmpty }
        object[path: ["metadata", "managedFields"]] = kept.isEmpty ? nil : .array(kept.map(\.json))
    }

    /// Puts `entry` in place of the same manager's entry (keeping its position), or appends it.
    static func upsert(_ entry: ManagedFieldsEntry, into entries: inout [ManagedFieldsEntry]) {
        if let index = entries.firstIndex(where: { $0.isSameManager(entry) }) { entries[index] = entry } else { entries.append(entry) }
    }

    /// A non-apply write by `manager`: `old` nil for a create.
    static func recordUpdate(old: JSONValue?, new: inout JSONValue, manager: String, subresource: String, apiVersion: String,
                             shape: FieldShape) {
        var entries = entries(of: old)
        if let sent = new[path: ["metadata", "managedFields"]]?.array {
            if sent == [.emptyObject] {
                // A client may reset the history by sending `managedFields: [{}]`.
                entries = []
            } else if subresource.isEmpty, !sent.isEmpty, sent != old?[path: ["metadata", "managedFields"]]?.array {
                // As upstream, managed fields a client sends replace the stored ones when they all decode (kubectl's
                // move from client-side to server-side apply rewrites them so); otherwise they are ignored, so a
                // client that does not know them cannot drop them.
                let decoded = Self.entries(of: new)
                if decoded.count == sent.count { entries = decoded }
            }
        }
        // A create changes every field it sets.
        let (changed, removed) = old.map { ObjectFields.changes(from: $0, to: new, shape) } ?? (ObjectFields.fieldSet(new, shape), FieldSet())
        let mine = ManagedFieldsEntry(manager: manager, operation: "Update", apiVersion: apiVersion, time: Timestamp.format(Timestamp.now()),
                                      subresource: subresource, fields: FieldSet())
        var previous = FieldSet()
        for i in entries.indices {
            if entries[i].isSameManager(mine) { previous = entries[i].fields; continue }
            entries[i].fields = entries[i].fields.subtracting(changed).subtracting(removed)
        }
        var entry = mine
        entry.fields = previous.union(changed).subtracting(removed)
        // An update that changed nothing of its own leaves the manager's entry (and its time) alone.
        if !changed.isEmpty || !removed.isEmpty || entries.contains(where: { $0.isSameManager(mine) }) == false {
            upsert(entry, into: &entries)
        }
        store(entries, in: &new)
    }

    struct Conflict: Sendable {
        var manager: ManagedFieldsEntry
        var path: FieldPath
    }

    /// Server-side apply of `config` by `manager` onto `live` (nil: the object does not exist yet).
    static func apply(_ config: JSONValue, to live: JSONValue?, manager: String, force: Bool, subresource: String,
                      apiVersion: String, shape: FieldShape, groupResource: GroupResource, name: String) throws(StatusError) -> JSONValue {
        var entries = entries(of: live)
        var cleanConfig = config
        cleanConfig[path: ["metadata", "managedFields"]] = nil
        let applied = ObjectFields.fieldSet(cleanConfig, shape)
        let base = live ?? .emptyObject
        var merged = ObjectFields.merge(base, cleanConfig, shape)
        let mine = ManagedFieldsEntry(manager: manager, operation: "Apply", apiVersion: apiVersion, time: Timestamp.format(Timestamp.now()),
                                      subresource: subresource, fields: applied)
        // What this manager applied before and dropped now goes, unless another manager owns it too.
        let previous = entries.first(where: { $0.isSameManager(mine) })?.fields ?? FieldSet()
        let ownedByOthers = entries.filter { !$0.isSameManager(mine) }.reduce(FieldSet()) { $0.union($1.fields) }
        let dropped = previous.subtracting(applied).subtracting(ownedByOthers).paths
        // Remove the outermost paths only: a list item goes with its key fields, which must not go first.
        for path in dropped where !(1..<max(1, path.count)).contains(where: { dropped.contains(Array(path.prefix($0))) }) {
            ObjectFields.remove(path, from: &merged, shape)
        }

        let (changed, removed) = ObjectFields.changes(from: base, to: merged, shape)
        var conflicts: [Conflict] = []
        for entry in entries where !entry.isSameManager(mine) {
            for path in entry.fields.intersection(changed).paths { conflicts.append(Conflict(manager: entry, path: path)) }
        }
        if !conflicts.isEmpty, !force {
            // kubectl moving an object from client-side to server-side apply: conflicts on fields whose live values
            // are still what the last client-side apply set are not conflicts (upstream's lastAppliedManager).
            let allowed = manager == "kubectl" ? LastApplied.fieldsStillAsApplied(live, shape) : FieldSet()
            let remaining = conflicts.filter { !allowed.contains($0.path) }
            if !remaining.isEmpty { throw conflictError(remaining) }
        }
        for i in entries.indices where !entries[i].isSameManager(mine) {
            entries[i].fields = entries[i].fields.subtracting(changed).subtracting(removed)
        }
        upsert(mine, into: &entries)
        store(entries, in: &merged)
        // ... and kubectl's server-side applies keep the annotation in step, so a later client-side apply or
        // `kubectl diff` computes from what was applied last (upstream's lastAppliedUpdater).
        if manager == "kubectl", let live, LastApplied.annotation(of: live) != nil {
            merged[path: ["metadata", "annotations", LastApplied.key]] = .string(LastApplied.value(for: cleanConfig))
        }
        return merged
    }

    /// upstream's 409: `Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.key`.
    static func conflictError(_ conflicts: [Conflict]) -> StatusError {
        let sorted = conflicts.sorted { ($0.manager.described, $0.path.display) < ($1.manager.described, $1.path.display) }
        let message: String
        if sorted.count == 1, let only = sorted.first {
            message = "Apply failed with 1 conflict: conflict with \(only.manager.described): \(only.path.display)"
        } else {
            var lines: [String] = []
            var current = ""
            for conflict in sorted {
                if conflict.manager.described != current {
                    current = conflict.manager.described
                    lines.append("conflicts with \(current):")
                }
                lines.append("- \(conflict.path.display)")
            }
            message = "Apply failed with \(sorted.count) conflicts: " + lines.joined(separator: "\n")
        }
        let causes: [JSONValue] = sorted.map {
            ["reason": "FieldManagerConflict", "message": .string("conflict with \($0.manager.described)"), "field": .string($0.path.display)]
        }
        return StatusError(code: 409, reason: "Conflict", message: message, details: ["causes": .array(causes)])
    }
}

/// The client-side apply record, `kubectl.kubernetes.io/last-applied-configuration`.
enum LastApplied {
    static let key = "kubectl.kubernetes.io/last-applied-configuration"

    static func annotation(of object: JSONValue) -> String? {
        guard let text = object[path: ["metadata", "annotations", key]]?.string, !text.isEmpty else { return nil }
        return text
    }

    /// The fields the last client-side apply set that still hold the values it set.
    static func fieldsStillAsApplied(_ live: JSONValue?, _ shape: FieldShape) -> FieldSet {
        guard let live, let text = annotation(of: live), let applied = try? JSONParser.parse(Array(text.utf8)),
              applied.object != nil else { return FieldSet() }
        let (changed, removed) = ObjectFields.changes(from: applied, to: live, shape)
        return ObjectFields.fieldSet(applied, shape).subtracting(changed).subtracting(removed)
    }

    /// The annotation's value for an applied configuration: the configuration without the annotation, as JSON with a
    /// trailing newline (as kubectl writes it).
    static func value(for config: JSONValue) -> String {
        var copy = config
        if copy[path: ["metadata", "annotations", key]] != nil { copy[path: ["metadata", "annotations", key]] = nil }
        return String(decoding: JSONWriter.write(copy), as: UTF8.self) + "\n"
    }
}
