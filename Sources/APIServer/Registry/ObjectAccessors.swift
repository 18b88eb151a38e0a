import KubeJSON
#if canImport(Glibc)
import Glibc
#endif

/// Typed access to the metadata of a schemaless object (apimachinery's meta.Accessor).
extension JSONValue {
    public var metaName: String { self[path: ["metadata", "name"]]?.string ?? "" }
    public var metaNamespace: String { self[path: ["metadata", "namespace"]]?.string ?? "" }
    public var metaUID: String { self[path: ["metadata", "uid"]]?.string ?? "" }
    public var metaResourceVersion: String { self[path: ["metadata", "resourceVersion"]]?.string ?? "" }
    public var metaLabels: [String: String] { self[path: ["metadata", "labels"]]?.stringMap ?? [:] }
    public var metaFinalizers: [String] { self[path: ["metadata", "finalizers"]]?.array?.compactMap(\.string) ?? [] }
    public var metaDeletionTimestamp: String? { self[path: ["metadata", "deletionTimestamp"]]?.string }
    public var metaCreationTimestamp: String? { self[path: ["metadata", "creationTimestamp"]]?.string }

    public mutating func setMeta(_ field: String, _ value: JSONValue?) {
        if self["metadata"]?.object == nil { self["metadata"] = .emptyObject }
        self[path: ["metadata", field]] = value
    }
}

/// RFC 3339 timestamps as the API writes them (`2026-11-25T07:29:18Z`, seconds precision for metav1.Time).
public enum Timestamp {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func format(_ seconds: Double) -> String {
        var t = time_t(seconds.rounded(.down))
        var tmValue = tm()
        gmtime_r(&t, &tmValue)
        func pad(_ v: Int32, _ width: Int = 2) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(tmValue.tm_year + 1900, 4))-\(pad(tmValue.tm_mon + 1))-\(pad(tmValue.tm_mday))T\(pad(tmValue.tm_hour)):\(pad(tmValue.tm_min)):\(pad(tmValue.tm_sec))Z"
    }

    /// Microsecond precision (metav1.MicroTime, used by events.k8s.io and leases).
    public static func formatMicro(_ seconds: Double) -> String {
        let base = format(seconds)
        let micros = Int((seconds - seconds.rounded(.down)) * 1_000_000)
        let digits = String(micros)
        return String(base.dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; nil when malformed.
    public static func parse(_ text: String) -> Double? {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int32? {
            guard from + len <= b.count else { return nil }
            var v: Int32 = 0
            for i in from..<(from + len) {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int32(b[i] - 48)
            }
            return v
        }
        guard let year = num(0, 4), let month = num(5, 2), let day = num(8, 2), let hour = num(11, 2),
              let minute = num(14, 2), let second = num(17, 2) else { return nil }
        var tmValue = tm()
        tmValue.tm_year = year - 1900
        tmValue.tm_mon = month - 1
        tmValue.tm_mday = day
        tmValue.tm_hour = hour
        tmValue.tm_min = minute
        tmValue.tm_sec = second
        var seconds = Double(timegm(&tmValue))
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                seconds += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") { return seconds }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let oh = num(i + 1, 2), let om = num(i + 4, 2) else { return nil }
        let offset = Double(oh * 3600 + om * 60)
        return b[i] == UInt8(ascii: "+") ? seconds - offset : seconds + offset
    }
}

/// Random identifiers: v4 UUIDs for metadata.uid, and generateName suffixes from upstream's alphabet.
public enum RandomNames {
    public static func uuid() -> String {
        var g = SystemRandomNumberGenerator()
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { b in String(b, radix: 16).count == 1 ? "0" + String(b, radix: 16) : String(b, radix: 16) }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    /// upstream's utilrand alphabet: no vowels (no words) and no confusable characters.
    private static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    public static func suffix(_ length: Int = 5) -> String {
        String((0..<length).map { _ in alphabet.randomElement() ?? "x" })
    }
}
