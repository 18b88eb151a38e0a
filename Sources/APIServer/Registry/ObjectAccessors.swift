import Foundation
import KubeAPI
import KubeJSON
#if canImport(Glibc)
import Glibc
#endif

/// RFC 3339 timestamps as the API writes them (`2026-11-25T07:29:18Z`, seconds precision for metav1.Time).
public enum Timestamp {
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func format(_ seconds: Double) -> String { RFC3339.format(seconds) }

    /// Microsecond precision (metav1.MicroTime, used by events.k8s.io and leases).
    public static func formatMicro(_ seconds: Double) -> String { RFC3339.format(seconds, fractionDigits: 6) }

    /// nil when malformed.
    public static func parse(_ text: String) -> Double? { RFC3339.parse(text)?.timeIntervalSince1970 }
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
