import KubeJSON
import Synchronization

/// upstream's EndpointSliceTracker, by resourceVersion: what this controller last wrote for each Service's slices,
/// so that a sync against an informer cache that has not seen those writes yet does nothing (it would otherwise
/// create a second slice for endpoints it has just placed). The informer event that catches the cache up queues
/// the Service again.
final class EndpointSliceTracker: Sendable {
    enum Expectation: Equatable {
        case written(resourceVersion: Int)
        case deleted
    }

    private let state = Mutex<[String: [String: Expectation]]>([:])

    func wrote(_ service: String, _ slice: JSONValue) {
        guard let rv = Self.resourceVersion(slice) else { return }
        state.withLock { $0[service, default: [:]][Lifecycle.name(slice)] = .written(resourceVersion: rv) }
    }

    func deleted(_ service: String, name: String) {
        state.withLock { $0[service, default: [:]][name] = .deleted }
    }

    /// A slice's deletion was observed: nothing more is expected of it.
    func observedDeletion(_ service: String, name: String) {
        state.withLock { _ = $0[service]?.removeValue(forKey: name) }
    }

    func forget(_ service: String) { state.withLock { _ = $0.removeValue(forKey: service) } }

    /// Whether the cached slices lag behind this controller's writes; expectations the cache meets are dropped.
    func isStale(_ service: String, cached: [JSONValue]) -> Bool {
        let byName = Dictionary(cached.map { (Lifecycle.name($0), $0) }, uniquingKeysWith: { a, _ in a })
        return state.withLock { all in
            guard let expected = all[service] else { return false }
            var stale = false
            var left: [String: Expectation] = [:]
            for (name, expectation) in expected {
                switch expectation {
                case .written(let rv):
                    if let slice = byName[name], let seen = Self.resourceVersion(slice), seen >= rv { continue }
                case .deleted:
                    if byName[name] == nil || Lifecycle.isDeleting(byName[name] ?? .null) { continue }
                }
                stale = true
                left[name] = expectation
            }
            all[service] = left.isEmpty ? nil : left
            return stale
        }
    }

    /// resourceVersions are etcd revisions (integers) here and in the fake; one that is not is never waited on.
    static func resourceVersion(_ slice: JSONValue) -> Int? {
        slice[path: ["metadata", "resourceVersion"]]?.string.flatMap { Int($0) }
    }
}
