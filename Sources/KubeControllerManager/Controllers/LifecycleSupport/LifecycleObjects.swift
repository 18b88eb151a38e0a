import ControllerRuntime
import KubeJSON

extension Lifecycle {
    static func name(_ object: JSONValue) -> String { object[path: ["metadata", "name"]]?.string ?? "" }
    static func namespace(_ object: JSONValue) -> String { object[path: ["metadata", "namespace"]]?.string ?? "" }
    static func uid(_ object: JSONValue) -> String { object[path: ["metadata", "uid"]]?.string ?? "" }
    static func labels(_ object: JSONValue) -> [String: String] { object[path: ["metadata", "labels"]]?.stringMap ?? [:] }
    static func isDeleting(_ object: JSONValue) -> Bool {
        guard let stamp = object[path: ["metadata", "deletionTimestamp"]] else { return false }
        return stamp != .null
    }
    static func finalizers(_ object: JSONValue) -> [String] {
        (object[path: ["metadata", "finalizers"]]?.array ?? []).compactMap(\.string)
    }
    static func creationTime(_ object: JSONValue) -> Double? {
        object[path: ["metadata", "creationTimestamp"]]?.string.flatMap { SystemClock.parse($0) }
    }

    /// The condition of `type` in `status.conditions`, if any. For informer event handlers, which run on every
    /// pod change and must not decode pods; syncs read typed views.
    static func condition(_ object: JSONValue, _ type: String) -> JSONValue? {
        object[path: ["status", "conditions"]]?.array?.first { $0["type"]?.string == type }
    }

    /// podutil.IsPodReady: the Ready condition is True.
    static func isPodReady(_ pod: JSONValue) -> Bool {
        condition(pod, "Ready")?["status"]?.string == "True"
    }

    /// podutil.IsPodTerminal: phase Succeeded or Failed.
    static func isPodTerminal(_ pod: JSONValue) -> Bool {
        let phase = pod[path: ["status", "phase"]]?.string
        return phase == "Succeeded" || phase == "Failed"
    }

    static func nodeName(_ pod: JSONValue) -> String { pod[path: ["spec", "nodeName"]]?.string ?? "" }

    /// An event's involvedObject for an object the recorder is given as a whole.
    static func reference(kind: String, namespace: String = "", name: String, uid: String) -> JSONValue {
        ["apiVersion": "v1", "kind": .string(kind),
         "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string(uid)]]
    }

    /// A namespace/name cache key split back (cluster-scoped keys have no slash).
    static func split(_ key: String) -> (namespace: String, name: String) {
        guard let slash = key.firstIndex(of: "/") else { return ("", key) }
        return (String(key[..<slash]), String(key[key.index(after: slash)...]))
    }
}
