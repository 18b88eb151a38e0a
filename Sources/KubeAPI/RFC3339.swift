import FoundationEssentials
import Glibc

/// RFC 3339 timestamps in UTC (`2026-11-25T09:30:00Z`, optionally with a fraction) with gmtime/timegm rather than
/// Foundation's date formatters, which load ICU's data into the process (several MiB of resident memory).
/// Shared by the kube-apiserver (metav1.Time, MicroTime) and the kubelet (checkpoints, pod status, CRI logs).
public enum RFC3339 {
    private static func pad(_ v: Int32, _ width: Int) -> String {
        let s = String(v)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// `fractionDigits` 0 (seconds), 3, 6 or 9.
    public static func format(_ seconds: Double, fractionDigits: Int = 0) -> String {
        // Years 0001 to 9999 (Go's time range for RFC 3339): anything outside, or not a number, is clamped.
        let seconds = seconds.isFinite ? min(max(seconds, -62_135_596_800), 253_402_300_799) : 0
        var t = time_t(seconds.rounded(.down))
        var tmValue = tm()
        gmtime_r(&t, &tmValue)
        var out = "\(pad(tmValue.tm_year + 1900, 4))-\(pad(tmValue.tm_mon + 1, 2))-\(pad(tmValue.tm_mday, 2))T"
            + "\(pad(tmValue.tm_hour, 2)):\(pad(tmValue.tm_min, 2)):\(pad(tmValue.tm_sec, 2))"
        if fractionDigits > 0 {
            var scale = 1.0
            for _ in 0..<fractionDigits { scale *= 10 }
            let fraction = Int32(min(scale - 1, ((seconds - seconds.rounded(.down)) * scale).rounded(.down)))
            out += "." + pad(fraction, fractionDigits)
        }
        return out + "Z"
    }

    /// Go's time.RFC3339Nano: nanoseconds with trailing zeros trimmed (CRI log lines, config.seen).
    public static func formatNano(_ ts: timespec) -> String {
        var fraction = pad(Int32(ts.tv_nsec), 9)
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let base = String(format(Double(ts.tv_sec)).dropLast())
        return base + (fraction.isEmpty ? "" : ".\(fraction)") + "Z"
    }

    public static func formatNano(_ date: Date) -> String {
        // Clamped to the years RFC 3339 can write, as `format` does: a Date from a stored object can be anything.
        let raw = date.timeIntervalSince1970
        let interval = raw.isFinite ? min(max(raw, -62_135_596_800), 253_402_300_799) : 0
        var ts = timespec()
        ts.tv_sec = Int(interval.rounded(.down))
        ts.tv_nsec = min(999_999_999, Int((interval - interval.rounded(.down)) * 1e9))
        return formatNano(ts)
    }

    public static func format(_ date: Date, fractionDigits: Int = 0) -> String {
        format(date.timeIntervalSince1970, fractionDigits: fractionDigits)
    }

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil when malformed.
    public static func parse(_ text: String) -> Date? {
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
        if b[i] == UInt8(ascii: "Z") { return Date(timeIntervalSince1970: seconds) }
        guard b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-"), let oh = num(i + 1, 2), let om = num(i + 4, 2) else { return nil }
        let offset = Double(oh * 3600 + om * 60)
        return Date(timeIntervalSince1970: b[i] == UInt8(ascii: "+") ? seconds - offset : seconds + offset)
    }
}
