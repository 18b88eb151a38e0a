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
}
