import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// The ControllerRevisions a DaemonSet or StatefulSet keeps of its pod templates (upstream's controller history):
/// each revision holds the strategic merge patch that puts its template back (`{"spec":{"template":{…,"$patch":
/// "replace"}}}`), which is what `kubectl rollout undo ds/… sts/…` sends; `kubectl rollout history` lists them by
/// `revision`, with the owner's `kubernetes.io/change-cause` copied in.
struct RevisionHistory: Sendable {
    let store: ObjectStore

    init(context: ControllerContext) {
        store = ObjectStore(.controllerRevisions, context: context)
        store.informer.addIndexer(Indexes.controllerUID, Indexes.byControllerUID)
    }

    /// The patch a revision of `owner`'s current template holds.
    static func data(of owner: JSONValue) -> JSONValue {
        var template = owner[path: ["spec", "template"]] ?? .emptyObject
        template["$patch"] = "replace"
        return ["spec": ["template": template]]
    }

    /// The revisions `owner` controls, oldest revision first.
    func owned(by owner: JSONValue) -> [JSONValue] {
        store.cache.byIndex(Indexes.controllerUID, owner.metaUID)
            .sorted { ($0["revision"]?.int ?? 0, $0.metaName) < ($1["revision"]?.int ?? 0, $1.metaName) }
    }

    /// Makes sure the current template has the newest revision: an equal older revision is renumbered (a rollback),
    /// otherwise `name` is created. Returns the revision. A name taken by another template is a hash collision,
    /// thrown as `RevisionCollision` for the caller to bump its collisionCount.
    @discardableResult
    func record(owner: JSONValue, name: String, hashLabel: String, hash: String) async throws -> JSONValue {
        let data = Self.data(of: owner)
        let revisions = owned(by: owner)
        let equal = revisions.filter { $0["data"] == data }
        let others = revisions.filter { $0["data"] != data }
        let next = (others.compactMap { $0["revision"]?.int }.max() ?? 0).addingSaturated(1)
        if let current = equal.last {
            guard (current["revision"]?.int ?? 0) < next else { return current }
            return try await store.guaranteedUpdate(namespace: owner.metaNamespace, name: current.metaName) { latest in
                guard var latest else { throw APIError.notFound(store.groupResource, current.metaName) }
                latest["revision"] = .int(next)
                return latest
            }
        }
        var labels = owner[path: ["spec", "template", "metadata", "labels"]]?.object ?? [:]
        labels[hashLabel] = .string(hash)
        var metadata: JSONValue = ["name": .string(name), "namespace": .string(owner.metaNamespace), "labels": .object(labels),
                                   "ownerReferences": [try Workloads.json(Workloads.ownerReference(owner))]]
        if let annotations = owner[path: ["metadata", "annotations"]], annotations != .null { metadata["annotations"] = annotations }
        let revision: JSONValue = ["apiVersion": "apps/v1", "kind": "ControllerRevision", "metadata": metadata,
                                   "data": data, "revision": .int(next)]
        do {
            return try await store.create(namespace: owner.metaNamespace, object: revision)
        } catch let error as APIError where error.isAlreadyExists {
            let existing = try await store.client.get(.controllerRevisions, namespace: owner.metaNamespace, name: name, subresource: nil)
            if existing["data"] == data, Workloads.controllerUID(existing) == owner.metaUID { return existing }
            throw RevisionCollision(name: name)
        }
    }

    /// Deletes the oldest revisions beyond `limit` (revisionHistoryLimit, default 10) that no live pod still runs
    /// (`inUse`: revision names).
    func truncate(owner: JSONValue, limit: Int, inUse: Set<String>) async {
        let old = owned(by: owner).filter { !inUse.contains($0.metaName) }
        guard old.count > limit else { return }
        for revision in old.prefix(old.count - max(0, limit)) {
            try? await store.delete(namespace: owner.metaNamespace, name: revision.metaName)
        }
    }
}

/// A revision name that another template already has.
struct RevisionCollision: Error, CustomStringConvertible {
    let name: String
    var description: String { "controllerrevision \(name) already exists with another template (hash collision)" }
}
