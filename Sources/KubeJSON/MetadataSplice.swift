/// Writes a stored object with one more `metadata` field without decoding it: the bytes are copied around a single
/// insertion at the place JSONWriter would have put the field. A list of stored objects is mostly this (the store
/// keeps every object without its resourceVersion), and decoding and re-encoding each item was most of a LIST's cost.
///
/// Only JSONWriter's own form is handled: no whitespace, `metadata` a top-level object whose keys are sorted and
/// have no escapes, the field not present yet. Anything else returns false with `out` untouched, and the caller
/// takes the decoding path.
public enum MetadataSplice {
    public static func append(_ stored: [UInt8], inserting field: String, value: String, to out: inout [UInt8]) -> Bool {
        append(stored, inserting: Array(field.utf8), to: &out) { JSONWriter.appendString(value, to: &$0) }
    }

    /// The same with the value written as a quoted decimal (a resourceVersion), the key given as its bytes: the
    /// per-item path of a LIST, which allocates nothing but the output.
    public static func append(_ stored: [UInt8], inserting field: [UInt8], quotedInteger value: Int64, to out: inout [UInt8]) -> Bool {
        append(stored, inserting: field, to: &out) { out in
            out.append(UInt8(ascii: "\""))
            JSONWriter.appendInt(value, to: &out)
            out.append(UInt8(ascii: "\""))
        }
    }

    private static func append(_ stored: [UInt8], inserting field: [UInt8], to out: inout [UInt8],
                               value writeValue: (inout [UInt8]) -> Void) -> Bool {
        // Unchecked indexing over the stored bytes (every index is compared with the count first): this scan runs
        // over every byte of every listed object.
        guard let position = stored.withUnsafeBufferPointer({ insertionPoint($0, field: field) }) else { return false }
        out.append(contentsOf: stored[..<position.offset])
        if position.needsLeadingComma { out.append(UInt8(ascii: ",")) }
        // Keys with escapes are refused by insertionPoint's scan of the stored keys, and the callers' keys have none.
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: field)
        out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        writeValue(&out)
        if position.needsTrailingComma { out.append(UInt8(ascii: ",")) }
        out.append(contentsOf: stored[position.offset...])
        return true
    }

    struct Position {
        var offset: Int
        var needsLeadingComma: Bool
        var needsTrailingComma: Bool
    }

    static func insertionPoint(_ b: UnsafeBufferPointer<UInt8>, field: [UInt8]) -> Position? {
        var i = 0
        guard b.first == UInt8(ascii: "{") else { return nil }
        i = 1
        // Top-level members until "metadata".
        while i < b.count, b[i] != UInt8(ascii: "}") {
            guard let (keyStart, keyEnd) = scanKey(b, &i) else { return nil }
            if b[keyStart..<keyEnd].elementsEqual("metadata".utf8) {
                guard i < b.count, b[i] == UInt8(ascii: "{") else { return nil }
                return insertionPoint(inMetadataAt: i, b, field: field)
            }
            guard skipValue(b, &i), i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1 } else if b[i] != UInt8(ascii: "}") { return nil }
        }
        return nil
    }

    private static func insertionPoint(inMetadataAt start: Int, _ b: UnsafeBufferPointer<UInt8>, field: [UInt8]) -> Position? {
        var i = start + 1
        var previous: Slice<UnsafeBufferPointer<UInt8>>? = nil
        var found: Position?
        // Every key is looked at, also past the insertion point, so keys out of order or the field itself further
        // on are caught.
        while i < b.count, b[i] != UInt8(ascii: "}") {
            let memberStart = i
            guard let (keyStart, keyEnd) = scanKey(b, &i) else { return nil }
            let key = b[keyStart..<keyEnd]
            if let previous, !previous.lexicographicallyPrecedes(key) { return nil }   // not sorted, or a duplicate
            if key.elementsEqual(field) { return nil }
            if found == nil, field.lexicographicallyPrecedes(key) {
                found = Position(offset: memberStart, needsLeadingComma: false, needsTrailingComma: true)
            }
            previous = key
            guard skipValue(b, &i), i < b.count else { return nil }
            if b[i] == UInt8(ascii: ",") { i += 1 } else if b[i] != UInt8(ascii: "}") { return nil }
        }
        guard i < b.count else { return nil }
        return found ?? Position(offset: i, needsLeadingComma: previous != nil, needsTrailingComma: false)
    }

    /// `"key":` at `i`; leaves `i` on the value. Keys with escapes are refused (their order would need decoding).
    private static func scanKey(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> (Int, Int)? {
        guard i < b.count, b[i] == UInt8(ascii: "\"") else { return nil }
        let start = i + 1
        var j = start
        while j < b.count, b[j] != UInt8(ascii: "\"") {
            if b[j] == UInt8(ascii: "\\") { return nil }
            j += 1
        }
        guard j + 1 < b.count, b[j + 1] == UInt8(ascii: ":") else { return nil }
        i = j + 2
        return (start, j)
    }

    /// Skips one value (no whitespace expected); false on anything malformed.
    private static func skipValue(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Bool {
        guard i < b.count else { return false }
        switch b[i] {
        case UInt8(ascii: "\""):
            return skipString(b, &i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "\""):
                    guard skipString(b, &i) else { return false }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return true
                    }
                case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                    return false
                default:
                    break
                }
                i += 1
            }
            return false
        default:
            // A number or literal: up to the next delimiter.
            let start = i
            while i < b.count, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "}"), b[i] != UInt8(ascii: "]") {
                if b[i] == UInt8(ascii: " ") || b[i] == UInt8(ascii: "\n") { return false }
                i += 1
            }
            return i > start
        }
    }

    private static func skipString(_ b: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Bool {
        var j = i + 1
        while j < b.count {
            switch b[j] {
            case UInt8(ascii: "\\"): j += 2
            case UInt8(ascii: "\""):
                i = j + 1
                return true
            default: j += 1
            }
        }
        return false
    }
}
