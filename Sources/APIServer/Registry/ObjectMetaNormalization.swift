import KubeJSON

extension GenericStore {
    /// What upstream's typed ObjectMeta does to a decoded object: its optional fields are `omitempty`, so a null, an
    /// empty list of finalizers or owner references, and an empty map of labels or annotations are stored (and sent
    /// in watch events) as absent. Clients iterate `metadata.finalizers` without a nil check because upstream never
    /// sends `"finalizers": null`. `creationTimestamp` is the exception: a zero metav1.Time encodes as null.
    static func normalizeObjectMeta(_ object: inout JSONValue) {
        guard var meta = object["metadata"]?.object else { return }
        for (key, value) in meta {
            switch value {
            case .null where key != "creationTimestamp":
                meta[key] = nil
            case .object(let map) where map.isEmpty && (key == "labels" || key == "annotations"):
                meta[key] = nil
            case .array(let list) where list.isEmpty && (key == "finalizers" || key == "ownerReferences"):
                meta[key] = nil
            default:
                break
            }
        }
        object["metadata"] = .object(meta)
    }
}
