import KubeJSON

/// Numbers taken from objects, for arithmetic that must not trap. Upstream holds these fields in Go's int32 and int64,
/// so a value can never be outside them; here an object is JSON, and one written before the apiserver checked ranges
/// (or by a test hook, or an older binary) can hold anything. Reading an int32 field clamped to Int32's range means
/// any later `Int` sum or product of a few such values fits; int64 fields (durations, deadlines, generations) go
/// through the saturating operations below.
extension JSONValue {
    /// The int32 field at `path`, clamped to Int32's range; nil when absent, null or not an integral number.
    public func goInt32(_ path: [String]) -> Int? {
        guard let value = self[path: path] else { return nil }
        return value.goInt32
    }

    /// The int64 field at `path`; nil when absent, null or not an integral number (a double beyond Int64 is clamped).
    public func goInt64(_ path: [String]) -> Int64? {
        guard let value = self[path: path] else { return nil }
        return value.goInt64
    }

    /// This value as an int32 field holds it (see `goInt32(_:)`).
    public var goInt32: Int? {
        goInt64.map { Int(Int32(clamping: $0)) }
    }

    /// This value as an int64 field holds it: integral doubles beyond Int64 saturate, fractions are not integers.
    public var goInt64: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d):
            guard d.isFinite, d == d.rounded() else { return nil }
            return Int64(saturating: d)
        default: return nil
        }
    }
}

extension FixedWidthInteger {
    /// `self + other`, at the type's bound instead of trapping.
    public func addingSaturated(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, at the type's bound instead of trapping.
    public func subtractingSaturated(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self * other`, at the type's bound instead of trapping.
    public func multipliedSaturated(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }
}

extension Sequence where Element: FixedWidthInteger {
    /// The sum, at the type's bound instead of trapping.
    public func saturatedSum() -> Element {
        reduce(0) { $0.addingSaturated($1) }
    }
}

extension Int64 {
    /// `d` rounded toward zero and clamped to Int64's range; 0 for NaN.
    public init(saturating d: Double) {
        if d.isNaN { self = 0 }
        // 2^63 is exactly representable; anything at or above it is beyond Int64.max.
        else if d >= 9_223_372_036_854_775_808.0 { self = .max }
        else if d <= -9_223_372_036_854_775_808.0 { self = .min }
        else { self = Int64(d.rounded(.towardZero)) }
    }
}

extension Int {
    /// `d` rounded toward zero and clamped to Int's range; 0 for NaN.
    public init(saturating d: Double) {
        self = Int(truncatingIfNeeded: Int64(saturating: d))
    }
}
