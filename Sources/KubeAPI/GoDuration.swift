/// A duration in Go's `time.Duration` text form (`8760h0m0s`, `4m0s`, `300ms`), as kubeadm's config uses.
public struct GoDuration: Sendable, Equatable, Hashable, Codable, CustomStringConvertible, Comparable {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    /// Beyond Int64 nanoseconds (±292 years) the duration saturates instead of trapping.
    public init(seconds: Double) { self.nanoseconds = Int64(saturating: seconds * 1e9) }
    public static func hours(_ h: Int64) -> GoDuration { GoDuration(nanoseconds: h.multipliedSaturated(by: 3_600_000_000_000)) }
    public static func minutes(_ m: Int64) -> GoDuration { GoDuration(nanoseconds: m.multipliedSaturated(by: 60_000_000_000)) }

    public var seconds: Double { Double(nanoseconds) / 1e9 }

    /// Parses Go's duration syntax: a sequence of decimal numbers with units ns, us, µs, ms, s, m, h. nil beyond
    /// Int64 nanoseconds, as Go's time.ParseDuration refuses it ("invalid duration").
    public init?(_ text: String) {
        var rest = Substring(text)
        var negative = false
        if rest.first == "-" || rest.first == "+" {
            negative = rest.first == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" { self.nanoseconds = 0; return }
        guard !rest.isEmpty else { return nil }
        var total: Double = 0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { !$0.isNumber && $0 != "." }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: return nil
            }
            total += value * scale
        }
        let signed = (negative ? -total : total).rounded()
        guard signed.isFinite, signed < 9_223_372_036_854_775_808.0, signed >= -9_223_372_036_854_775_808.0 else { return nil }
        self.nanoseconds = Int64(signed)
    }

    /// Go's `Duration.String()`.
    public var description: String {
        if nanoseconds == 0 { return "0s" }
        let negative = nanoseconds < 0
        let ns = nanoseconds.magnitude
        var out: String
        if ns < 1_000_000_000 {
            if ns < 1_000 { out = "\(ns)ns" }
            else if ns < 1_000_000 { out = Self.fraction(ns, 1_000) + "µs" }
            else { out = Self.fraction(ns, 1_000_000) + "ms" }
        } else {
            let hours = ns / 3_600_000_000_000
            let minutes = (ns / 60_000_000_000) % 60
            let secondsPart = ns % 60_000_000_000
            let seconds = Self.fraction(secondsPart, 1_000_000_000) + "s"
            if hours > 0 { out = "\(hours)h\(minutes)m\(seconds)" }
            else if minutes > 0 { out = "\(minutes)m\(seconds)" }
            else { out = seconds }
        }
        return negative ? "-" + out : out
    }

    private static func fraction(_ value: UInt64, _ unit: UInt64) -> String {
        let whole = value / unit
        var frac = value % unit
        guard frac != 0 else { return "\(whole)" }
        var digits = String(frac)
        let width = String(unit - 1).count
        digits = String(repeating: "0", count: width - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast(); frac /= 10 }
        return "\(whole).\(digits)"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let parsed = GoDuration(text) else {
            throw DecodingError.dataCorruptedError(in: container,
                debugDescription: "invalid duration \"\(text)\": expected a Go duration such as \"8760h0m0s\", \"4m\" or \"30s\"")
        }
        self = parsed
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static func < (lhs: GoDuration, rhs: GoDuration) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}
