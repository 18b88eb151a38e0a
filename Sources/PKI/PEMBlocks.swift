import FoundationEssentials
import KubeJSON

/// One PEM block as Go's encoding/pem reads it: its type, whether it carried `Key: value` headers, and its bytes.
public struct PEMBlock: Sendable, Equatable {
    public let type: String
    public let hasHeaders: Bool
    public let bytes: [UInt8]
}

/// PEM blocks found the way Go's `pem.Decode` finds them: text before, between and after blocks is skipped, and a
/// block that does not parse (no END line, bad base64) is skipped too. CSR and certificate validation answer with
/// upstream's messages, which depend on what Go would have found in the same bytes.
public enum PEMBlocks {
    public static func decode(_ data: [UInt8]) -> [PEMBlock] {
        let text = String(decoding: data, as: UTF8.self)
        var blocks: [PEMBlock] = []
        var rest = Substring(text)
        while let block = next(&rest) { blocks.append(block) }
        return blocks
    }

    /// The first block, as `pem.Decode` returns it (nil when there is none).
    public static func first(_ data: [UInt8]) -> PEMBlock? {
        var rest = Substring(String(decoding: data, as: UTF8.self))
        return next(&rest)
    }

    static let begin = "-----BEGIN "
    static let dashes = "-----"

    private static func next(_ rest: inout Substring) -> PEMBlock? {
        while true {
            guard let start = beginMarker(in: rest) else { return nil }
            // After a failed candidate the search goes on just past its BEGIN marker, as Go's does.
            let afterMarker = rest[start...].dropFirst(begin.count)
            rest = afterMarker
            let lineEnd = afterMarker.firstIndex(of: "\n") ?? afterMarker.endIndex
            var typeLine = afterMarker[..<lineEnd]
            if typeLine.hasSuffix("\r") { typeLine = typeLine.dropLast() }
            guard typeLine.hasSuffix(dashes) else { continue }
            let type = String(typeLine.dropLast(dashes.count))
            var body = afterMarker[lineEnd...].dropFirst()
            var hasHeaders = false
            // Headers: `Key: value` lines up to a blank line.
            if let firstLineEnd = body.firstIndex(of: "\n"), body[..<firstLineEnd].contains(":") {
                hasHeaders = true
                guard let blank = body.firstRange(of: "\n\n") ?? body.firstRange(of: "\r\n\r\n") else { continue }
                body = body[blank.upperBound...]
            }
            let end = "-----END \(type)-----"
            guard let endRange = body.firstRange(of: end) else { continue }
            let encoded = body[..<endRange.lowerBound].filter { !$0.isWhitespace }
            guard let bytes = Base64.decode(String(encoded)) else { continue }
            rest = body[endRange.upperBound...]
            return PEMBlock(type: type, hasHeaders: hasHeaders, bytes: bytes)
        }
    }

    /// A BEGIN marker at the start of the text or of a line.
    private static func beginMarker(in text: Substring) -> Substring.Index? {
        if text.hasPrefix(begin) { return text.startIndex }
        guard let range = text.firstRange(of: "\n" + begin) else { return nil }
        return text.index(after: range.lowerBound)
    }
}
