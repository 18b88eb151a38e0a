import KubeAPI
import KubeJSON

/// A request as the API server sees it, independent of HTTP/1.1 or HTTP/2 framing.
public struct APIRequest: Sendable {
    public var method: String
    /// The path without the query, percent-decoded per segment by `RequestInfo`.
    public var path: String
    public var query: QueryParameters
    /// The query as sent, for a request passed on to an aggregated API server.
    public var rawQuery: String
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// Set by authentication from the TLS peer certificate or a bearer token.
    public var user: UserInfo

    public init(method: String, uri: String, headers: [(String, String)], body: [UInt8], user: UserInfo) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = parts.first.map(String.init) ?? "/"
        rawQuery = parts.count > 1 ? String(parts[1]) : ""
        query = QueryParameters(rawQuery)
        self.headers = headers
        self.body = body
        self.user = user
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}

/// URL query parameters (`?labelSelector=a%3Db&watch=true`).
public struct QueryParameters: Sendable {
    private var values: [String: [String]] = [:]

    public init(_ raw: String) {
        for pair in raw.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = Self.decode(String(kv[0]))
            let value = kv.count > 1 ? Self.decode(String(kv[1])) : ""
            values[key, default: []].append(value)
        }
    }

    public subscript(_ key: String) -> String? { values[key]?.first }
    /// Every value of a repeated parameter (`command=sh&command=-c`), in order.
    public func all(_ key: String) -> [String] { values[key] ?? [] }
    public func has(_ key: String) -> Bool { values[key] != nil }

    /// Go's strconv.ParseBool spelling (`true`, `1`, `t`…); absent or empty is false.
    public func bool(_ key: String) -> Bool {
        guard let v = self[key] else { return false }
        return ["1", "t", "T", "true", "TRUE", "True"].contains(v)
    }

    public static func decode(_ s: String) -> String { QueryEscaping.unescape(s) }
}

/// What the server sends back: a complete body, or a stream (watch) that ends when the client leaves.
public struct APIResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case stream(AsyncStream<[UInt8]>)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body
    /// Set for a request the HTTP server hands over to a kubelet's streaming server (exec, attach, port-forward):
    /// the connection is taken over and proxied, and `status`/`body` are only used where it cannot be (HTTP/2).
    public var upgrade: StreamUpgrade?

    public init(status: Int, headers: [(String, String)] = [], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSONValue, status: Int = 200, contentType: String = "application/json") -> APIResponse {
        APIResponse(status: status, headers: [("content-type", contentType)], body: .bytes(JSONWriter.write(value)))
    }

    public static func text(_ text: String, status: Int = 200) -> APIResponse {
        APIResponse(status: status, headers: [("content-type", "text/plain; charset=utf-8"),
                                              ("x-content-type-options", "nosniff")],
                    body: .bytes(Array(text.utf8)))
    }

    public static func error(_ error: StatusError) -> APIResponse {
        var response = json(error.status, status: error.code)
        response.headers += error.headers
        return response
    }
}
