/// Sums of resource quantities as quota usage is written: exact integers (millis for CPU, whole units otherwise), in
/// upstream's canonical forms (`1500m`, `2`, `128Mi`, `1G`).
public struct QuotaQuantity: Sendable, Equatable, Comparable {
    /// Thousandths of a unit, so CPU millicores and bytes are both whole.
    public var millis: Int64
    /// Whether the sum prints with binary suffixes (its first term had one, as Quantity.Add keeps the format).
    public var binary: Bool

    public static let zero = QuotaQuantity(millis: 0, binary: false)

    public init(millis: Int64, binary: Bool) {
        self.millis = millis
        self.binary = binary
    }

    /// nil when the text is not a quantity; values are clamped to what fits.
    public init?(_ text: String) {
        guard let exact = Quantity.scaled(text, decimals: 3) else { return nil }
        millis = Swift.min(Swift.max(exact, Int64.min / 2), Int64.max / 2)
        binary = text.hasSuffix("i")
    }

    public init(count: Int) {
        let (product, overflow) = Int64(clamping: count).multipliedReportingOverflow(by: 1000)
        millis = overflow ? Int64.max / 2 : product
        binary = false
    }

    public static func + (a: QuotaQuantity, b: QuotaQuantity) -> QuotaQuantity {
        let (sum, overflow) = a.millis.addingReportingOverflow(b.millis)
        return QuotaQuantity(millis: overflow ? Int64.max / 2 : sum, binary: a.millis == 0 ? b.binary : a.binary)
    }

    public static func max(_ a: QuotaQuantity, _ b: QuotaQuantity) -> QuotaQuantity { a.millis >= b.millis ? a : b }

    /// a - b, never below zero (upstream's SubtractWithNonNegativeResult).
    public static func nonNegativeDifference(_ a: QuotaQuantity, _ b: QuotaQuantity) -> QuotaQuantity {
        QuotaQuantity(millis: a.millis > b.millis ? a.millis - b.millis : 0, binary: a.binary)
    }

    public static func < (a: QuotaQuantity, b: QuotaQuantity) -> Bool { a.millis < b.millis }

    public var isZero: Bool { millis == 0 }

    /// The canonical text: millis when not whole, else the largest exact suffix of the quantity's format.
    public var text: String {
        guard millis % 1000 == 0 else { return "\(millis)m" }
        let whole = millis / 1000
        guard whole != 0 else { return "0" }
        let suffixes: [(String, Int64)] = binary
            ? [("Ei", 1 << 60), ("Pi", 1 << 50), ("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)]
            : [("E", 1_000_000_000_000_000_000), ("P", 1_000_000_000_000_000), ("T", 1_000_000_000_000),
               ("G", 1_000_000_000), ("M", 1_000_000), ("k", 1000)]
        for (suffix, scale) in suffixes where whole % scale == 0 { return "\(whole / scale)\(suffix)" }
        return "\(whole)"
    }

}
