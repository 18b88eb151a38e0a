/// Kubernetes resource quantities (`10Mi`, `1G`, `500m`, `1.5Gi`, `2e3`), as the kubelet reads sizes from its
/// configuration and the apiserver compares volume capacities with claims.
public enum Quantity {
    static let suffixes: [(String, Double)] = [
        ("Ki", 1024), ("Mi", 1_048_576), ("Gi", 1_073_741_824), ("Ti", 1_099_511_627_776), ("Pi", 1_125_899_906_842_624),
        ("Ei", 1_152_921_504_606_846_976), ("n", 1e-9), ("u", 1e-6), ("m", 1e-3), ("k", 1e3), ("K", 1e3), ("M", 1e6),
        ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ]

    /// The quantity's value (`500m` → 0.5, `1Ki` → 1024); nil when it is not a quantity or not finite (Swift's
    /// Double parser also reads "nan", "inf" and hex, which no quantity is).
    public static func value(_ text: String) -> Double? {
        let t = String(text.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        func number(_ s: Substring) -> Double? {
            guard !s.isEmpty, s.allSatisfy({ "0123456789.+-eE".contains($0) }), let v = Double(s), v.isFinite else { return nil }
            return v
        }
        for (suffix, scale) in suffixes where t.hasSuffix(suffix) {
            guard let v = number(t.dropLast(suffix.count)) else { return nil }
            let scaled = v * scale
            return scaled.isFinite ? scaled : nil
        }
        return number(Substring(t))
    }

    /// Whole bytes (`10Mi` → 10485760).
    public static func bytes(_ text: String) -> Int64? {
        guard let v = value(text), v.isFinite, abs(v) < 9.2e18 else { return nil }
        return Int64(v)
    }

    /// The quantity times 10^decimals, rounded up, computed exactly (through a Double `9m` would be 10 millicores); nil when
    /// it is not a quantity. Values beyond Int64 are clamped.
    public static func scaled(_ text: String, decimals: Int) -> Int64? {
        var number = Substring(text)
        while number.first == " " { number = number.dropFirst() }
        while number.last == " " { number = number.dropLast() }
        var exponent = 0
        var binary: Int64 = 1
        let decimalSuffixes: [(String, Int)] = [("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)]
        let binarySuffixes: [(String, Int64)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50), ("Ei", 1 << 60)]
        if let (suffix, factor) = binarySuffixes.first(where: { number.hasSuffix($0.0) }) {
            number = number.dropLast(suffix.count)
            binary = factor
        } else if let (suffix, power) = decimalSuffixes.first(where: { number.hasSuffix($0.0) }) {
            number = number.dropLast(suffix.count)
            exponent = power
        } else if let e = number.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let power = Int(number[number.index(after: e)...]), abs(power) < 100 else { return nil }
            exponent = power
            number = number[..<e]
        }
        if number.first == "+" { number = number.dropFirst() }
        let negative = number.first == "-"
        if negative { number = number.dropFirst() }
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts.first ?? ""
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), (whole + fraction).allSatisfy(\.isASCII), (whole + fraction).allSatisfy(\.isNumber) else {
            return nil
        }
        // Leading zeros carry nothing; beyond 18 significant digits the value is past what is kept anyway.
        var digits = String(whole + fraction).drop { $0 == "0" }
        var power = exponent - fraction.count + decimals
        if digits.count > 18 {
            power += digits.count - 18
            digits = digits.prefix(18)
        }
        var value = Int64(digits) ?? 0
        let (product, overflow) = value.multipliedReportingOverflow(by: binary)
        value = overflow ? Int64.max : product
        if power >= 0 {
            for _ in 0..<min(power, 19) {
                let (next, over) = value.multipliedReportingOverflow(by: 10)
                value = over ? Int64.max : next
            }
        } else if value > 0 {
            var divisor: Int64 = 1
            for _ in 0..<min(-power, 19) {
                let (next, over) = divisor.multipliedReportingOverflow(by: 10)
                if over { return negative ? 0 : 1 }
                divisor = next
            }
            let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
            value = remainder > 0 ? quotient + 1 : quotient
        }
        return negative ? 0 - value : value
    }
}
