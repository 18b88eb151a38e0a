/// Values printed as upstream's Go code prints them in messages and files.
public enum GoFormat {
    /// Go's %q (strconv.Quote): quotes and backslashes escaped, control characters as \a \b \f \n \r \t \v or
    /// \x.., everything else as it is.
    public static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{0B}": out += "\\v"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// `key="value"` lines in key order, values quoted as %q: upstream's fieldpath.FormatMap, which the downward API
    /// uses for `metadata.labels` and `metadata.annotations` (in files and environment variables alike).
    public static func formatMap(_ map: [String: String]) -> String {
        map.keys.sorted().map { "\($0)=\(quoted(map[$0] ?? ""))" }.joined(separator: "\n")
    }
}
