/// What a URL addresses, as upstream's RequestInfoFactory derives it: a resource request
/// (`/api/v1/namespaces/ns/pods/name/status`) with its verb, or a non-resource path (`/healthz`).
public struct RequestInfo: Sendable, Equatable {
    public var isResourceRequest: Bool
    public var path: String
    /// Kubernetes verb: get, list, watch, create, update, patch, delete, deletecollection (or the lower-cased
    /// HTTP method for non-resource requests).
    public var verb: String
    public var apiPrefix = ""
    public var apiGroup = ""
    public var apiVersion = ""
    public var namespace = ""
    public var resource = ""
    public var subresource = ""
    public var name = ""
    /// Path segments after the version (for discovery requests that stop early).
    public var parts: [String] = []

    public static func parse(method: String, path: String, query: QueryParameters) -> RequestInfo {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true).map { QueryParameters.decode(String($0)) }
        var info = RequestInfo(isResourceRequest: false, path: path, verb: method.lowercased())
        guard let prefix = segments.first, prefix == "api" || prefix == "apis" else { return info }
        var rest = Array(segments.dropFirst())
        info.apiPrefix = prefix
        if prefix == "apis" {
            guard rest.count >= 2 else { return info }
            info.apiGroup = rest.removeFirst()
        } else if rest.count < 1 {
            return info
        }
        info.apiVersion = rest.removeFirst()
        guard !rest.isEmpty else { return info }
        info.isResourceRequest = true
        switch method {
        case "POST": info.verb = "create"
        case "GET", "HEAD": info.verb = "get"
        case "PUT": info.verb = "update"
        case "PATCH": info.verb = "patch"
        case "DELETE": info.verb = "delete"
        default: info.verb = ""
        }
        // Deprecated /watch/ prefix paths.
        if rest.first == "watch" {
            rest.removeFirst()
            info.verb = "watch"
        }
        // Upstream's rule: `/namespaces/<ns>/<resource>...` scopes the request; `/namespaces/<name>` and its
        // `status`/`finalize` subresources address the namespace object itself (with namespace = its name).
        if rest.first == "namespaces", rest.count > 1 {
            info.namespace = rest[1]
            if rest.count > 2, !["status", "finalize"].contains(rest[2]) { rest = Array(rest.dropFirst(2)) }
        }
        info.parts = rest
        info.resource = rest[0]
        if rest.count > 1 { info.name = rest[1] }
        if rest.count > 2 { info.subresource = rest[2] }
        if info.name.isEmpty {
            if info.verb == "get" { info.verb = query.bool("watch") ? "watch" : "list" }
            if info.verb == "delete" { info.verb = "deletecollection" }
        } else if info.verb == "get", query.bool("watch") {
            info.verb = "watch"
        }
        return info
    }
}
