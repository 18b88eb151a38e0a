/// One validation problem, worded as upstream's field.Error prints it:
/// `spec.containers[0].image: Required value`, `metadata.name: Invalid value: "A": <detail>`.
public struct FieldError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case required = "FieldValueRequired"
        case invalid = "FieldValueInvalid"
        case notSupported = "FieldValueNotSupported"
        case duplicate = "FieldValueDuplicate"
        case forbidden = "FieldValueForbidden"
        case notFound = "FieldValueNotFound"
        case typeInvalid = "FieldValueTypeInvalid"
        case tooLong = "FieldValueTooLong"
        case tooMany = "FieldValueTooMany"
    }

    public let kind: Kind
    public let field: String
    public let value: String?
    public let detail: String
    /// The value is printed bare, as Go prints an int (`Invalid value: 60: …`) or a struct with %#v.
    public let numeric: Bool

    public init(kind: Kind, field: String, value: String?, detail: String, numeric: Bool = false) {
        self.kind = kind
        self.field = field
        self.value = value
        self.detail = detail
        self.numeric = numeric
    }

    public static func required(_ field: String, _ detail: String = "") -> FieldError {
        FieldError(kind: .required, field: field, value: nil, detail: detail)
    }
    public static func invalid(_ field: String, _ value: String, _ detail: String) -> FieldError {
        FieldError(kind: .invalid, field: field, value: value, detail: detail)
    }
    public static func invalid(_ field: String, number: Int64, _ detail: String) -> FieldError {
        FieldError(kind: .invalid, field: field, value: String(number), detail: detail, numeric: true)
    }
    public static func notSupported(_ field: String, _ value: String, _ supported: [String]) -> FieldError {
        FieldError(kind: .notSupported, field: field, value: value,
                   detail: "supported values: " + supported.map { "\"\($0)\"" }.joined(separator: ", "))
    }
    public static func duplicate(_ field: String, _ value: String) -> FieldError {
        FieldError(kind: .duplicate, field: field, value: value, detail: "")
    }

    public static func forbidden(_ field: String, _ detail: String) -> FieldError {
        FieldError(kind: .forbidden, field: field, value: nil, detail: detail)
    }
    public static func notFound(_ field: String, _ value: String) -> FieldError {
        FieldError(kind: .notFound, field: field, value: value, detail: "")
    }

    public var description: String {
        switch kind {
        case .required: return "\(field): Required value" + (detail.isEmpty ? "" : ": \(detail)")
        case .invalid where numeric: return "\(field): Invalid value: \(value ?? ""): \(detail)"
        case .invalid: return "\(field): Invalid value: \"\(value ?? "")\": \(detail)"
        case .notSupported where numeric: return "\(field): Unsupported value: \(value ?? ""): \(detail)"
        case .notSupported: return "\(field): Unsupported value: \"\(value ?? "")\": \(detail)"
        case .duplicate: return "\(field): Duplicate value: \"\(value ?? "")\""
        case .forbidden: return "\(field): Forbidden: \(detail)"
        case .notFound: return "\(field): Not found: \"\(value ?? "")\""
        case .typeInvalid: return "\(field): Invalid value: \"\(value ?? "")\": \(detail)"
        case .tooLong: return "\(field): Too long: \(detail)"
        case .tooMany: return "\(field): Too many: \(value ?? ""): \(detail)"
        }
    }
}

/// Name rules of Kubernetes' apimachinery validation.
public enum NameValidation {
    public static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    public static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

    public static func isDNS1123Label(_ s: String) -> Bool {
        guard let first = s.first, let last = s.last, s.count <= 63 else { return false }
        func alnum(_ c: Character) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        return alnum(first) && alnum(last) && s.allSatisfy { alnum($0) || $0 == "-" }
    }

    public static func isDNS1123Subdomain(_ s: String) -> Bool {
        guard !s.isEmpty, s.count <= 253 else { return false }
        return s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }
}
