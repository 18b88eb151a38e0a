import Foundation
import KubeAPI

/// A CronJob's `spec.schedule` as upstream reads it (robfig/cron's standard parser): five fields (minute hour
/// day-of-month month day-of-week) with `*`, `?`, lists, ranges, steps and month/day names; the @yearly … @hourly
/// descriptors; and `@every <duration>`. Times are evaluated in a time zone, as wall-clock times.
struct CronSchedule: Sendable {
    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    private var minutes = Set<Int>(), hours = Set<Int>(), days = Set<Int>(), months = Set<Int>(), weekdays = Set<Int>()
    private var daysStar = false, weekdaysStar = false
    /// For `@every`: a fixed interval from the previous run, in seconds.
    private(set) var every: Double?

    private static let descriptors = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    private static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    private static let dayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]

    init(_ schedule: String) throws(ParseError) {
        var text = schedule.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("TZ=") || text.hasPrefix("CRON_TZ=") {
            throw ParseError(description: "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
        }
        if text.hasPrefix("@every ") {
            guard let seconds = Self.goDuration(String(text.dropFirst("@every ".count)).trimmingCharacters(in: .whitespaces)) else {
                throw ParseError(description: "failed to parse duration \(text)")
            }
            every = max(1, seconds.rounded(.down))
            return
        }
        if text.hasPrefix("@") {
            guard let expanded = Self.descriptors[text] else { throw ParseError(description: "unrecognized descriptor: \(text)") }
            text = expanded
        }
        let fields = text.replacingOccurrences(of: "\t", with: " ").split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 5 else { throw ParseError(description: "expected exactly 5 fields, found \(fields.count): \(text)") }
        (minutes, _) = try Self.field(fields[0], 0...59, names: [])
        (hours, _) = try Self.field(fields[1], 0...23, names: [])
        (days, daysStar) = try Self.field(fields[2], 1...31, names: [])
        (months, _) = try Self.field(fields[3], 1...12, names: Self.monthNames)
        (weekdays, weekdaysStar) = try Self.field(fields[4], 0...6, names: Self.dayNames, allowSeven: true)
        if weekdays.contains(7) { weekdays.remove(7); weekdays.insert(0) }
    }

    /// The values a field allows, and whether it was a bare `*` or `?` (which changes how the two day fields combine).
    private static func field(_ text: Substring, _ range: ClosedRange<Int>, names: [String], allowSeven: Bool = false)
        throws(ParseError) -> (Set<Int>, Bool) {
        var values = Set<Int>()
        var star = false
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw ParseError(description: "too many slashes: \(part)") }
            var step = 1
            if pieces.count == 2 {
                guard let n = Int(pieces[1]), n > 0 else { throw ParseError(description: "failed to parse int from \(pieces[1])") }
                step = n
            }
            let base = pieces[0]
            var low = range.lowerBound, high = range.upperBound
            if base == "*" || base == "?" {
                if pieces.count == 1 { star = true }
            } else {
                let bounds = base.split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw ParseError(description: "too many hyphens: \(part)") }
                var parsed: [Int] = []
                for bound in bounds {
                    guard let value = Int(bound) ?? names.firstIndex(of: bound.lowercased()).map({ $0 + range.lowerBound }) else {
                        throw ParseError(description: "failed to parse int from \(bound)")
                    }
                    parsed.append(value)
                }
                low = parsed[0]
                // "a/n" runs from a to the end of the range.
                high = parsed.count == 2 ? parsed[1] : (pieces.count == 2 ? range.upperBound : parsed[0])
                let top = allowSeven ? 7 : range.upperBound
                if low < range.lowerBound { throw ParseError(description: "beginning of range (\(low)) below minimum (\(range.lowerBound)): \(part)") }
                if high > top { throw ParseError(description: "end of range (\(high)) above maximum (\(range.upperBound)): \(part)") }
                if low > high { throw ParseError(description: "beginning of range (\(low)) beyond end of range (\(high)): \(part)") }
            }
            values.formUnion(stride(from: low, through: high, by: step))
        }
        return (values, star)
    }

    /// A Go duration ("1h30m", "90s", "2.5m") in seconds; nil beyond Go's time.Duration, as time.ParseDuration refuses it.
    static func goDuration(_ text: String) -> Double? {
        GoDuration(text)?.seconds
    }

    // MARK: evaluation

    private func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }

    private func dayMatches(_ c: DateComponents) -> Bool {
        let dom = days.contains(c.day ?? 0)
        let dow = weekdays.contains((c.weekday ?? 1) - 1)
        // robfig's rule: when either day field is `*`, both must match; otherwise either may.
        return daysStar || weekdaysStar ? dom && dow : dom || dow
    }

    /// The first scheduled time strictly after `time`; nil when there is none within five years (as 30 February).
    func next(after time: Date, in zone: TimeZone, since start: Date? = nil) -> Date? {
        if let every {
            let origin = start ?? time
            let steps = ((time.timeIntervalSince(origin)) / every).rounded(.down) + 1
            return origin.addingTimeInterval(max(1, steps) * every)
        }
        let calendar = calendar(zone)
        var t = Date(timeIntervalSince1970: (time.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
        let limit = time.addingTimeInterval(5 * 366 * 86400)
        while t < limit {
            let c = calendar.dateComponents([.month, .day, .hour, .minute, .weekday], from: t)
            if !months.contains(c.month ?? 0) {
                guard let end = calendar.dateInterval(of: .month, for: t)?.end else { return nil }
                t = end
            } else if !dayMatches(c) {
                guard let end = calendar.dateInterval(of: .day, for: t)?.end else { return nil }
                t = end
            } else if !hours.contains(c.hour ?? -1) {
                guard let end = calendar.dateInterval(of: .hour, for: t)?.end else { return nil }
                t = end
            } else if !minutes.contains(c.minute ?? -1) {
                t = t.addingTimeInterval(60)
            } else {
                return t
            }
        }
        return nil
    }

    /// The latest scheduled time at or before `time` and after `earliest`, if any: the run a controller that was
    /// away (or just started) still owes.
    func mostRecent(atOrBefore time: Date, after earliest: Date, in zone: TimeZone) -> Date? {
        if let every {
            let steps = (time.timeIntervalSince(earliest) / every).rounded(.down)
            return steps >= 1 ? earliest.addingTimeInterval(steps * every) : nil
        }
        let calendar = calendar(zone)
        var t = Date(timeIntervalSince1970: (time.timeIntervalSince1970 / 60).rounded(.down) * 60)
        while t > earliest {
            let c = calendar.dateComponents([.month, .day, .hour, .minute, .weekday], from: t)
            if !months.contains(c.month ?? 0) {
                guard let start = calendar.dateInterval(of: .month, for: t)?.start else { return nil }
                t = start.addingTimeInterval(-60)
            } else if !dayMatches(c) {
                guard let start = calendar.dateInterval(of: .day, for: t)?.start else { return nil }
                t = start.addingTimeInterval(-60)
            } else if !hours.contains(c.hour ?? -1) {
                guard let start = calendar.dateInterval(of: .hour, for: t)?.start else { return nil }
                t = start.addingTimeInterval(-60)
            } else if !minutes.contains(c.minute ?? -1) {
                t = t.addingTimeInterval(-60)
            } else {
                return t
            }
        }
        return nil
    }
}
