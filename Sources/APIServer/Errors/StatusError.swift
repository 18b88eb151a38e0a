import KubeAPI
import KubeJSON

/// An API error as upstream's apimachinery `StatusError`: the HTTP code, a machine-readable reason and the
/// `Status` body kubectl prints (`Error from server (NotFound): pods "x" not found`).
public struct StatusError: Error, Sendable, CustomStringConvertible {
    public var code: Int
    public var reason: String
    public var message: String
    public var details: JSONValue?
    /// Extra response headers (Retry-After, WWW-Authenticate).
    public var headers: [(String, String)] = []

    public init(code: Int, reason: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
    }

    public var description: String { "\(code) \(reason): \(message)" }

    public var status: JSONValue {
        var s: JSONValue = [
            "kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Failure",
            "message": .string(message), "code": .int(Int64(code)),
        ]
        if !reason.isEmpty { s["reason"] = .string(reason) }
        if let details { s["details"] = details }
        return s
    }

    static func details(name: String?, group: String, kind: String, causes: [JSONValue]? = nil) -> JSONValue {
        var d: JSONValue = ["kind": .string(kind)]
        if let name, !name.isEmpty { d["name"] = .string(name) }
        if !group.isEmpty { d["group"] = .string(group) }
        if let causes { d["causes"] = .array(causes) }
        return d
    }

    /// `pods "x" not found` — resource is the qualified plural (`leases.coordination.k8s.io`).
    public static func notFound(_ resource: GroupResource, _ name: String) -> StatusError {
        StatusError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found",
                    details: details(name: name, group: resource.group, kind: resource.resource))
    }

    public static func alreadyExists(_ resource: GroupResource, _ name: String) -> StatusError {
        StatusError(code: 409, reason: "AlreadyExists", message: "\(resource) \"\(name)\" already exists",
                    details: details(name: name, group: resource.group, kind: resource.resource))
    }

    public static func conflict(_ resource: GroupResource, _ name: String, _ why: String) -> StatusError {
        StatusError(code: 409, reason: "Conflict",
                    message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(why)",
                    details: details(name: name, group: resource.group, kind: resource.resource))
    }

    public static let optimisticLockMessage =
        "the object has been modified; please apply your changes to the latest version and try again"

    public static func invalid(kind: String, group: String, name: String, _ errors: [FieldError]) -> StatusError {
        let causes: [JSONValue] = errors.map { e in
            ["reason": .string(e.kind.rawValue), "message": .string(e.causeMessage), "field": .string(e.field)]
        }
        let list = errors.count == 1 ? errors[0].description : "[" + errors.map(\.description).joined(separator: ", ") + "]"
        let qualified = group.isEmpty ? kind : "\(kind).\(group)"
        return StatusError(code: 422, reason: "Invalid", message: "\(qualified) \"\(name)\" is invalid: \(list)",
                           details: details(name: name, group: group, kind: kind, causes: causes))
    }

    public static func badRequest(_ message: String) -> StatusError {
        StatusError(code: 400, reason: "BadRequest", message: message)
    }

    /// A body Go's decoder could not store in the kind's struct, worded as upstream's codec wraps the decoder's error.
    public static func undecodable(kind: String, version: String, _ error: FieldPruner.TypeError) -> StatusError {
        badRequest("\(kind) in version \"\(version)\" cannot be handled as a \(kind): \(error)")
    }

    public static func methodNotSupported(_ resource: GroupResource, _ verb: String) -> StatusError {
        StatusError(code: 405, reason: "MethodNotAllowed", message: "\(verb) is not supported on resources of kind \"\(resource)\"",
                    details: details(name: nil, group: resource.group, kind: resource.resource))
    }

    public static func forbidden(_ message: String, resource: GroupResource? = nil, name: String? = nil) -> StatusError {
        StatusError(code: 403, reason: "Forbidden", message: message,
                    details: resource.map { details(name: name, group: $0.group, kind: $0.resource) })
    }

    public static let unauthorized = StatusError(code: 401, reason: "Unauthorized", message: "Unauthorized")

    public static func gone(_ message: String) -> StatusError { StatusError(code: 410, reason: "Expired", message: message) }

    public static func tooLarge(_ limit: Int) -> StatusError {
        StatusError(code: 413, reason: "RequestEntityTooLarge", message: "Request entity too large: limit is \(limit)")
    }

    public static func notFoundPath() -> StatusError {
        StatusError(code: 404, reason: "NotFound", message: "the server could not find the requested resource",
                    details: ["causes": [["reason": "UnexpectedServerResponse", "message": "404 page not found"]]])
    }

    public static var unsupportedMediaType: StatusError {
        StatusError(code: 415, reason: "UnsupportedMediaType", message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf")
    }

    public static func notAcceptable(_ message: String) -> StatusError {
        StatusError(code: 406, reason: "NotAcceptable", message: message)
    }

    public static func internalError(_ message: String) -> StatusError {
        StatusError(code: 500, reason: "InternalError", message: "Internal error occurred: \(message)",
                    details: ["causes": [["message": .string(message)]]])
    }

    public static func serviceUnavailable(_ message: String) -> StatusError {
        StatusError(code: 503, reason: "ServiceUnavailable", message: message)
    }
}

/// A resource qualified by its API group, printed as upstream does: `pods`, `leases.coordination.k8s.io`.
public struct GroupResource: Sendable, Hashable, CustomStringConvertible {
    public var group: String
    public var resource: String
    public init(group: String, resource: String) {
        self.group = group
        self.resource = resource
    }
    public var description: String { group.isEmpty ? resource : "\(resource).\(group)" }
}

extension FieldError {
    /// The cause message (the description without the leading `field: `), as in `details.causes[].message`.
    var causeMessage: String {
        let full = description
        let prefix = field + ": "
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full
    }
}
