import KubeJSON

/// authentication.k8s.io/v1 reviews: SelfSubjectReview (`kubectl auth whoami`) answers who the request is, and
/// TokenReview answers who a bearer token is (for webhooks and other servers that delegate authentication).
extension APIServer {
    func authenticationReview(_ request: APIRequest, _ info: RequestInfo, _ def: ResourceDefinition) async throws -> APIResponse {
        guard info.verb == "create" else { throw StatusError.methodNotSupported(def.groupResource, info.verb) }
        var review = try BodyDecoder.decode(request.body, contentType: request.header("content-type"), kind: def.kind)
        guard review.object != nil else { throw StatusError.badRequest("the body of the request must be a JSON object") }
        switch def.kind {
        case "SelfSubjectReview":
            review["status"] = ["userInfo": Self.userInfoJSON(request.user)]
        case "TokenReview":
            let token = review[path: ["spec", "token"]]?.string ?? ""
            let wanted = review[path: ["spec", "audiences"]]?.array?.compactMap(\.string) ?? []
            switch await authenticate(token: token, audiences: wanted.isEmpty ? nil : wanted) {
            case .authenticated(let user, let audiences):
                var status: JSONValue = ["authenticated": true, "user": Self.userInfoJSON(user)]
                if !audiences.isEmpty { status["audiences"] = .array(audiences.map { .string($0) }) }
                review["status"] = status
            case .rejected(let why):
                review["status"] = ["user": .emptyObject, "error": .string(why)]
            case .unknown:
                review["status"] = ["user": .emptyObject]
            }
        default:
            throw StatusError.notFoundPath()
        }
        review["apiVersion"] = .string(def.apiVersion)
        review["kind"] = .string(def.kind)
        review["metadata"] = ["creationTimestamp": .string(Timestamp.format(Timestamp.now()))]
        return .json(review, status: 201)
    }

    /// authentication.k8s.io/v1 UserInfo: empty fields left out, as Go's omitempty does.
    static func userInfoJSON(_ user: UserInfo) -> JSONValue {
        var json: JSONValue = ["username": .string(user.name)]
        if !user.uid.isEmpty { json["uid"] = .string(user.uid) }
        if !user.groups.isEmpty { json["groups"] = .array(user.groups.map { .string($0) }) }
        if !user.extra.isEmpty { json["extra"] = .object(user.extra.mapValues { .array($0.map { .string($0) }) }) }
        return json
    }
}
