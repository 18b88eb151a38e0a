/// Random identifiers: v4 UUIDs for metadata.uid, and generateName suffixes from upstream's alphabet.
public enum RandomNames {
    /// A random (v4) UUID. Every response carries one (audit-id), so it takes two reads of the system generator
    /// and no intermediate strings (it took sixteen reads and fifty small strings).
    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func uuid() -> String {
        var g = SystemRandomNumberGenerator()
        let high = g.next(), low = g.next()
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            bytes[i] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(i)))
            bytes[8 + i] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(i)))
        }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        var out: [UInt8] = []
        out.reserveCapacity(36)
        for (i, byte) in bytes.enumerated() {
            if i == 4 || i == 6 || i == 8 || i == 10 { out.append(UInt8(ascii: "-")) }
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// upstream's utilrand alphabet: no vowels (no words) and no confusable characters.
    private static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    public static func suffix(_ length: Int = 5) -> String {
        String((0..<length).map { _ in alphabet.randomElement() ?? "x" })
    }
}
