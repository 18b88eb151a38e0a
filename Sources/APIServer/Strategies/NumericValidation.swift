import KubeAPI
import KubeJSON

/// Upstream's range rules for numbers that decoded (a value beyond the field's Go type is a 400 before this), with
/// upstream's messages (apimachinery's validation package and the core/apps/batch validators).
enum NumericValidation {
    /// apimachinery's IsNegativeErrorMsg.
    static let negative = "must be greater than or equal to 0"
    /// IsValidPortNum, as InclusiveRangeError(1, 65535) words it.
    static let portRange = "must be between 1 and 65535, inclusive"
    static let percentMessage = "a valid percent string must be a numeric string followed by an ending '%' "
        + "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"

    static func range(_ low: Int64, _ high: Int64) -> String { "must be between \(low) and \(high), inclusive" }

    /// ValidateNonnegativeField for the field at `path` (absent or null is fine: upstream's pointer is nil).
    static func nonNegative(_ object: JSONValue, _ path: [String]) -> [FieldError] {
        guard let n = object[path: path]?.int, n < 0 else { return [] }
        return [.invalid(path.joined(separator: "."), number: n, negative)]
    }

    static func nonNegative(_ object: JSONValue, _ base: [String], _ fields: [String]) -> [FieldError] {
        fields.flatMap { nonNegative(object, base + [$0]) }
    }

    /// IsValidPortNum on an int32 field that must be set.
    static func port(_ value: JSONValue?, field: String) -> [FieldError] {
        let n = value?.int ?? 0
        return (1...65535).contains(n) ? [] : [.invalid(field, number: n, portRange)]
    }

    /// ValidatePortNumOrName: a port number, or an IANA_SVC_NAME (IsValidPortName's rules, in its order).
    static func portNumberOrName(_ value: JSONValue?, field: String) -> [FieldError] {
        guard let value, value != .null else { return [] }
        guard let name = value.string else { return port(value, field: field) }
        var problems: [String] = []
        if name.utf8.count > 15 { problems.append("must be no more than 15 characters") }
        if name.isEmpty || !name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }) {
            problems.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !name.unicodeScalars.contains(where: { ("a"..."z").contains($0) }) { problems.append("must contain at least one letter (a-z)") }
        if name.contains("--") { problems.append("must not contain consecutive hyphens") }
        if name.hasPrefix("-") || name.hasSuffix("-") { problems.append("must not begin or end with a hyphen") }
        return problems.map { .invalid(field, name, $0) }
    }

    // MARK: int-or-percent (maxSurge, maxUnavailable)

    /// IntOrString's String(), as field errors print it: bare, without quotes.
    static func display(_ value: JSONValue) -> String {
        if let s = value.string { return s }
        return String(value.int ?? 0)
    }

    static func invalidIntOrString(_ field: String, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(kind: .invalid, field: field, value: display(value), detail: detail, numeric: true)
    }

    /// The percentage of a valid "<digits>%" string; nil for anything else (upstream's getPercentValue).
    static func percent(_ value: JSONValue?) -> Int? {
        guard let s = value?.string, s.hasSuffix("%") else { return nil }
        let digits = s.dropLast()
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        // Atoi of more digits than an Int holds fails upstream and yields 0; a huge percentage is simply large here.
        return Int(digits) ?? Int.max
    }

    /// upstream's getIntOrPercentValue: the percentage, else the int (a non-numeric string counts as 0).
    static func intOrPercentValue(_ value: JSONValue?) -> Int {
        if let p = percent(value) { return p }
        if let s = value?.string { return Int(s) ?? 0 }
        return value?.goInt32 ?? 0
    }

    /// ValidatePositiveIntOrPercent.
    static func positiveIntOrPercent(_ value: JSONValue?, field: String) -> [FieldError] {
        guard let value, value != .null else { return [] }
        if value.string != nil {
            return percent(value) == nil ? [invalidIntOrString(field, value, percentMessage)] : []
        }
        if let n = value.int, n < 0 { return [.invalid(field, number: n, negative)] }
        return []
    }

    /// IsNotMoreThan100Percent.
    static func notMoreThan100Percent(_ value: JSONValue?, field: String) -> [FieldError] {
        guard let value, let p = percent(value), p > 100 else { return [] }
        return [invalidIntOrString(field, value, "must not be greater than 100%")]
    }
}

/// Whether an update leaves the object's spec as stored (only metadata or status differ, after `defaulted` brings the
/// stored object to today's defaults). Such an update is not judged on the spec again, as upstream's status updates
/// never are: an object stored before a rule existed (an older binary's data) can still get its status, lose its
/// finalizers and be deleted; a write that changes the spec is judged in full.
func specUnchanged(_ object: JSONValue, _ old: JSONValue, defaulted: (inout JSONValue) -> Void) -> Bool {
    var a = object, b = old
    defaulted(&b)
    a["metadata"] = nil; a["status"] = nil
    b["metadata"] = nil; b["status"] = nil
    return a == b
}
