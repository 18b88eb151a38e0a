import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// An object a controller could not read as its typed view: which object, and the field and why. Retrying does not
/// help (the object's next change queues it again), so the sync that meets one logs it and skips its owner.
struct UndecodableObject: Error, CustomStringConvertible {
    let kind: String
    let namespace: String
    let name: String
    let error: any Error

    var description: String {
        "\(kind) \(namespace.isEmpty ? name : "\(namespace)/\(name)"): \(error)"
    }
}

extension Workloads {
    /// The typed view of a stored object; throws `UndecodableObject` naming it and the field.
    static func typed<T>(_ json: JSONValue, as type: T.Type = T.self) throws -> Typed<T> {
        do {
            return try Typed<T>(json)
        } catch {
            throw UndecodableObject(kind: json["kind"]?.string ?? "\(T.self)", namespace: json.metaNamespace, name: json.metaName, error: error)
        }
    }

    /// Runs a sync; one that meets an object it cannot read is logged with the object and the field and skipped
    /// (not retried, and the other objects go on).
    static func skippingUndecodable(_ component: String, _ key: String, logger: Logger,
                                    _ sync: () async throws -> Void) async throws {
        do {
            try await sync()
        } catch let error as UndecodableObject {
            logger.warning("\(component): skipping \(key): \(error)")
        }
    }
}

extension ObjectStore {
    /// Writes the status as changed through the typed view (see `Typed.merging`): only changed fields are written,
    /// over the version they were computed from. An object without a status gets the whole status, as Go writes
    /// it (`{}` at least: the first sync writes one even when nothing is to be said, as these controllers always
    /// have). nil when nothing changed, or as `updateStatus(_:_:)`.
    @discardableResult
    func updateStatus<T>(_ object: Typed<T>, _ change: (inout T) throws -> Void) async throws -> JSONValue? {
        var changed = object.object
        try change(&changed)
        let stored = object.json["status"] ?? .null
        let status = stored == .null ? try JSONValueEncoder().encode(changed)["status"] : try object.merging(changed)["status"]
        guard let status, status != stored else { return nil }
        return try await updateStatus(object.json, status)
    }
}

/// A pod as the workload controllers read it: metadata through the JSON accessors, its status typed, and the one
/// spec field they look at. The spec is not decoded: they copy templates, they do not read them, and a spec field
/// Kubestrap does not model (a quantity written as a number, say) must not stop the pod's owner.
struct WorkloadPod: Sendable {
    let json: JSONValue
    let status: PodStatus
    let nodeName: String

    /// The pod decoded for what is read of it: other fields are not visited, and errors name the field from the
    /// pod's root (`status.conditions[0].status`).
    private struct View: Decodable {
        struct Scheduling: Decodable {
            var nodeName: String?
        }
        var spec: Scheduling?
        var status: PodStatus?
    }

    init(_ json: JSONValue) throws {
        self.json = json
        do {
            let view = try View(json: json)
            status = view.status ?? .goZero
            nodeName = view.spec?.nodeName ?? ""
        } catch {
            throw UndecodableObject(kind: "Pod", namespace: json.metaNamespace, name: json.metaName, error: error)
        }
    }

    static func all(_ pods: [JSONValue]) throws -> [WorkloadPod] { try pods.map(WorkloadPod.init) }

    var name: String { json.metaName }
    var uid: String { json.metaUID }
    var labels: [String: String] { json.metaLabels }
    var annotations: [String: String] { json[path: ["metadata", "annotations"]]?.stringMap ?? [:] }
    var isTerminating: Bool { json.metaDeletionTimestamp != nil }
    /// Not terminating and not finished (upstream's IsPodActive).
    var isActive: Bool { !isTerminating && !status.isTerminal }
    var isReady: Bool { status.isReady }
}
