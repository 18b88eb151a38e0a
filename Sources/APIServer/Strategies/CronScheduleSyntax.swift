import Foundation
import KubeAPI

/// The syntax of a CronJob's `spec.schedule` as upstream's validation reads it (robfig/cron's standard parser): five
/// fields (minute hour day-of-month month day-of-week) with `*`, `?`, lists, ranges, steps and month/day names; the
/// @yearly … @hourly descriptors; and `@every <duration>`. Only whether it parses, and upstream's complaint when not:
/// when a schedule runs is the cronjob controller's business.
enum CronScheduleSyntax {
    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    private static let descriptors = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    static func check(_ schedule: String) throws(ParseError) {
        var text = schedule.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("TZ=") || text.hasPrefix("CRON_TZ=") {
            throw ParseError(description: "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        }
        if text.hasPrefix("@every ") {
            // Go's time.ParseDuration: nothing beyond time.Duration.
            guard GoDuration(String(text.dropFirst("@every ".count)).trimmingCharacters(in: .whitespaces)) != nil else {
                throw ParseError(description: "failed to parse duration \(text)")
            }
            return
        }
        if text.hasPrefix("@") {
            guard let expanded = descriptors[text] else { throw ParseError(description: "unrecognized descriptor: \(text)") }
            text = expanded
        }
        let fields = text.replacingOccurrences(of: "\t", with: " ").split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 5 else { throw ParseError(description: "expected exactly 5 fields, found \(fields.count): \(text)") }
        try field(fields[0], 0...59, names: [])
        try field(fields[1], 0...23, names: [])
        try field(fields[2], 1...31, names: [])
        try field(fields[3], 1...12, names: monthNames)
        try field(fields[4], 0...6, names: dayNames, allowSeven: true)
    }

    /// One field's comma-separated parts, each `*`/`?`, a value or a range, with an optional step.
    private static func field(_ text: Substring, _ range: ClosedRange<Int>, names: [String], allowSeven: Bool = false) throws(ParseError) {
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(description: "too many slashes: \(part)") }
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { throw ParseError(description: "failed to parse int from \(pieces[1])") }
            }
            let base = pieces[0]
            if base == "*" || base == "?" { continue }
            let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2 else { throw ParseError(description: "too many hyphens: \(part)") }
            var parsed: [Int] = []
            for bound in bounds {
                guard let value = Int(bound) ?? names.firstIndex(of: bound.lowercased()).map({ $0 + range.lowerBound }) else {
                    throw ParseError(description: "failed to parse int from \(bound)")
                }
                parsed.append(value)
            }
            let low = parsed[0]
            // "a/n" runs from a to the end of the range.
            let high = parsed.count == 2 ? parsed[1] : (pieces.count == 2 ? range.upperBound : parsed[0])
            let top = allowSeven ? 7 : range.upperBound
            if low < range.lowerBound { throw ParseError(description: "beginning of range (\(low)) below minimum (\(range.lowerBound)): \(part)") }
            if high > top { throw ParseError(description: "end of range (\(high)) above maximum (\(range.upperBound)): \(part)") }
            if low > high { throw ParseError(description: "beginning of range (\(low)) beyond end of range (\(high)): \(part)") }
        }
    }
}
