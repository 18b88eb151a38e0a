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

