import KubeJSON

/// events.k8s.io/v1 Events are core/v1 Events with other field names; both APIs read and write the same objects
/// (`/registry/events/<ns>/<name>`), so `kubectl get events` shows what a client wrote through either.
struct EventsV1Conversion: StorageConversion {
    /// events.k8s.io/v1 name → core/v1 name.
    static let renames: [(String, String)] = [
        ("regarding", "involvedObject"), ("note", "message"), ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"), ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"), ("reportingController", "reportingComponent"),
    ]

    func toStorage(_ object: JSONValue) -> JSONValue {
        var core = object
        for (v1, coreName) in Self.renames {
            core[coreName] = object[v1]
            core[v1] = nil
        }
        core["apiVersion"] = "v1"
        core["kind"] = "Event"
        return core
    }

    func fromStorage(_ object: JSONValue) -> JSONValue {
        var v1 = object
        for (v1Name, coreName) in Self.renames {
            v1[v1Name] = object[coreName]
            v1[coreName] = nil
        }
        v1["apiVersion"] = "events.k8s.io/v1"
        v1["kind"] = "Event"
        return v1
    }
}
