import KubeAPI
import KubeJSON

/// Validates a custom resource against its structural schema with upstream's wording (kube-openapi's validators
/// as apiextensions-apiserver reports them): `spec.replicas: Invalid value: "string": spec.replicas in body must be
/// of type integer: "string"`, `spec.size: Unsupported value: "XL": supported values: "S", "M"`, …
/// Unlike upstream before 1.20 (kubernetes#90128), a bound violation shows the value given, not the bound.
extension StructuralSchema {
    func validate(_ value: JSONValue, path: String) -> [FieldError] {
        var errors: [FieldError] = []
        let where_ = path.isEmpty ? "<root>" : path
        if value == .null {
            if nullable || (type == nil && !intOrString) { return [] }
            return [FieldError(kind: .invalid, field: path, value: "null", detail: "\(where_) in body must be of type \(typeDescription): \"null\"")]
        }
        if let problem = typeProblem(value) {
            return [FieldError(kind: .invalid, field: path, value: problem, detail: "\(where_) in body must be of type \(typeDescription): \"\(problem)\"")]
        }
        if let enumValues, !enumValues.contains(value) {
            errors.append(FieldError(kind: .notSupported, field: path, value: Self.display(value),
                                     detail: "supported values: " + enumValues.map { "\"\(Self.display($0))\"" }.joined(separator: ", ")))
        }
        switch value {
        case .int, .double:
            let n = Self.number(value) ?? 0
            if let minimum, exclusiveMinimum ? n <= minimum : n < minimum {
                errors.append(numeric(path, value, "\(where_) in body should be greater than \(exclusiveMinimum ? "" : "or equal to ")\(Self.format(minimum))"))
            }
            if let maximum, exclusiveMaximum ? n >= maximum : n > maximum {
                errors.append(numeric(path, value, "\(where_) in body should be less than \(exclusiveMaximum ? "" : "or equal to ")\(Self.format(maximum))"))
            }
            if let multipleOf, multipleOf > 0, (n / multipleOf).rounded() != n / multipleOf {
                errors.append(numeric(path, value, "\(where_) in body should be a multiple of \(Self.format(multipleOf))"))
            }
        case .string(let s):
            if let maxLength, s.count > maxLength {
                errors.append(FieldError(kind: .tooLong, field: path, value: nil, detail: "may not be more than \(maxLength) bytes"))
            }
            if let minLength, s.count < minLength {
                errors.append(.invalid(path, s, "\(where_) in body should be at least \(minLength) chars long"))
            }
            if let pattern {
                if let regex = try? Regex(pattern) {
                    if !s.contains(regex) { errors.append(.invalid(path, s, "\(where_) in body should match '\(pattern)'")) }
                }
            }
        case .array(let array):
            if let maxItems, array.count > maxItems {
                errors.append(FieldError(kind: .tooMany, field: path, value: String(array.count), detail: "must have at most \(maxItems) items"))
            }
            if let minItems, array.count < minItems {
                errors.append(FieldError(kind: .invalid, field: path, value: String(array.count), detail: "\(where_) in body should have at least \(minItems) items", numeric: true))
            }
            if uniqueItems, Set(array).count != array.count {
                errors.append(FieldError(kind: .duplicate, field: path, value: nil, detail: ""))
            }
            if let items {
                for (i, element) in array.enumerated() { errors += items.validate(element, path: "\(path)[\(i)]") }
            }
        case .object(let object):
            for name in required where object[name] == nil {
                errors.append(.required(path.isEmpty ? name : "\(path).\(name)"))
            }
            if let maxProperties, object.count > maxProperties {
                errors.append(FieldError(kind: .tooMany, field: path, value: String(object.count), detail: "must have at most \(maxProperties) items"))
            }
            if let minProperties, object.count < minProperties {
                errors.append(FieldError(kind: .invalid, field: path, value: String(object.count), detail: "\(where_) in body should have at least \(minProperties) properties", numeric: true))
            }
            for key in object.keys.sorted() {
                guard let element = object[key], let schema = child(key) else { continue }
                if path.isEmpty, ["apiVersion", "kind", "metadata"].contains(key) { continue }
                errors += schema.validate(element, path: path.isEmpty ? key : "\(path).\(key)")
            }
        default:
            break
        }
        for schema in allOf { errors += schema.validate(value, path: path) }
        if !anyOf.isEmpty, !anyOf.contains(where: { $0.validate(value, path: path).isEmpty }) {
            errors.append(.invalid("", "", "\"\(where_)\" must validate at least one schema (anyOf)"))
        }
        if !oneOf.isEmpty, oneOf.filter({ $0.validate(value, path: path).isEmpty }).count != 1 {
            errors.append(.invalid("", "", "\"\(where_)\" must validate one and only one schema (oneOf)"))
        }
        if let not, not.validate(value, path: path).isEmpty {
            errors.append(.invalid("", "", "\"\(where_)\" must not validate the schema (not)"))
        }
        return errors
    }

    var typeDescription: String { intOrString ? "integer,string" : (type ?? "object") }

    /// The JSON type name of a value the schema's type does not admit, nil when it fits.
    func typeProblem(_ value: JSONValue) -> String? {
        let actual: String
        switch value {
        case .string: actual = "string"
        case .int: actual = "integer"
        case .double: actual = "number"
        case .bool: actual = "boolean"
        case .array: actual = "array"
        case .object: actual = "object"
        case .null: actual = "null"
        }
        if intOrString { return actual == "string" || actual == "integer" ? nil : actual }
        guard let type else { return nil }
        switch type {
        case "number": return actual == "number" || actual == "integer" ? nil : actual
        default: return actual == type ? nil : actual
        }
    }

    private func numeric(_ path: String, _ value: JSONValue, _ detail: String) -> FieldError {
        FieldError(kind: .invalid, field: path, value: Self.display(value), detail: detail, numeric: true)
    }

    static func display(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return format(d)
        case .bool(let b): return b ? "true" : "false"
        default: return JSONWriter.string(value)
        }
    }

    /// Go's %v of a float64: no trailing `.0`.
    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
