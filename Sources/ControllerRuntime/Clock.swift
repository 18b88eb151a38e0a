import FoundationEssentials
import Synchronization

/// Time as controllers see it: wall-clock seconds (timestamps written to objects, lease expiry) and sleeping. Tests
/// pass a `FakeClock` and move it forward by hand.
public protocol RuntimeClock: Sendable {
    /// Seconds since 1970.
    func now() -> Double
    /// Returns when `seconds` have passed on this clock; throws when the task is cancelled.
    func sleep(for seconds: Double) async throws
}

public struct SystemClock: RuntimeClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(for seconds: Double) async throws {
        guard seconds > 0 else { return try Task.checkCancellation() }
        try await Task.sleep(for: .milliseconds(Int64(min(seconds, 86_400 * 365) * 1000)))
    }
}

/// A clock that moves only when told (client-go's fake clock). Sleepers wake when `advance` passes their deadline.
public final class FakeClock: RuntimeClock {
    private struct Sleeper {
        var deadline: Double
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Double
        var sleepers: [Int: Sleeper] = [:]
        var next = 0
    }

    private let state: Mutex<State>

    public init(now: Double = 1_780_000_000) {
        state = Mutex(State(now: now))
    }

    public func now() -> Double { state.withLock { $0.now } }

    /// How many tasks are sleeping on this clock (tests wait for a controller to be idle on it).
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(for seconds: Double) async throws {
        guard seconds > 0 else { return try Task.checkCancellation() }
        let id = state.withLock { s -> Int in
            s.next += 1
            return s.next
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = state.withLock { s -> Bool in
                    if Task.isCancelled { return true }
                    s.sleepers[id] = Sleeper(deadline: s.now + seconds, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come.
    public func advance(by seconds: Double) {
        let due = state.withLock { s -> [Sleeper] in
            s.now += seconds
            let due = s.sleepers.filter { $0.value.deadline <= s.now }
            for id in due.keys { s.sleepers[id] = nil }
            return Array(due.values)
        }
        for sleeper in due { sleeper.continuation.resume() }
    }
}

extension RuntimeClock {
    /// RFC 3339 with seconds, as metav1.Time is written.
    public func timestamp() -> String { Self.format(now(), fraction: false) }

    /// RFC 3339 with microseconds, as metav1.MicroTime (lease times, event series) is written.
    public func microTimestamp() -> String { Self.format(now(), fraction: true) }

    static func format(_ seconds: Double, fraction: Bool) -> String {
        let clamped = min(max(seconds, 0), 253_402_300_799)
        let whole = Int(clamped.rounded(.down))
        let days = whole / 86_400
        let rest = whole % 86_400
        // Civil from days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = z / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var text = "\(year)-\(two(month))-\(two(day))T\(two(rest / 3600)):\(two(rest % 3600 / 60)):\(two(rest % 60))"
        if fraction {
            let micros = Int(((clamped - Double(whole)) * 1_000_000).rounded(.down))
            let digits = String(micros)
            text += "." + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        }
        return text + "Z"
    }

    /// Seconds since 1970 of an RFC 3339 timestamp, nil when it is not one.
    public static func parse(_ text: String) -> Double? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T") else { return nil }
        func number(_ range: Range<Int>) -> Int? { Int(String(decoding: bytes[range], as: UTF8.self)) }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else { return nil }
        var fraction = 0.0
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48, bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offset = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-"), bytes.count >= index + 6,
           let h = number(index + 1..<index + 3), let m = number(index + 4..<index + 6) {
            offset = (h * 3600 + m * 60) * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
        }
        // Days from civil (Howard Hinnant's algorithm): no calendar object per parse.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }
}
