import ControllerRuntime
import Synchronization

/// upstream's ControllerExpectations: after a sync creates or deletes pods, the informer has not seen them yet, and
/// a sync meanwhile would count too few (or too many) and act twice. A key with outstanding expectations is only
/// synced for status until the informer has observed every create and delete, or five minutes have passed (a lost
/// event must not stall the owner forever).
final class Expectations: Sendable {
    private struct Entry {
        var adds: Int
        var deletes: Int
        var at: Double
    }

    private let entries = Mutex<[String: Entry]>([:])
    private let clock: any RuntimeClock

    init(clock: any RuntimeClock) { self.clock = clock }

    func expect(_ key: String, adds: Int = 0, deletes: Int = 0) {
        let now = clock.now()
        entries.withLock { $0[key] = Entry(adds: adds, deletes: deletes, at: now) }
    }

    /// A failed create will never be observed.
    func lower(_ key: String, adds: Int = 0, deletes: Int = 0) {
        entries.withLock { e in
            guard var entry = e[key] else { return }
            entry.adds -= adds
            entry.deletes -= deletes
            e[key] = entry
        }
    }

    func creationObserved(_ key: String) { lower(key, adds: 1) }
    func deletionObserved(_ key: String) { lower(key, deletes: 1) }

    func satisfied(_ key: String) -> Bool {
        let now = clock.now()
        return entries.withLock { e in
            guard let entry = e[key] else { return true }
            if entry.adds <= 0 && entry.deletes <= 0 || now - entry.at > 300 {
                e[key] = nil
                return true
            }
            return false
        }
    }

    func forget(_ key: String) { _ = entries.withLock { $0.removeValue(forKey: key) } }
}
