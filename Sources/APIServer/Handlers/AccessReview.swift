import KubeJSON

/// authorization.k8s.io/v1 reviews: `kubectl auth can-i` (SelfSubjectAccessReview, SelfSubjectRulesReview for
/// `--list`), and SubjectAccessReview / LocalSubjectAccessReview for asking about someone else.
extension APIServer {
    func accessReview(_ request: APIRequest, _ info: RequestInfo, _ def: ResourceDefinition) async throws -> APIResponse {
        guard info.verb == "create" else { throw StatusError.methodNotSupported(def.groupResource, info.verb) }
        var review = try BodyDecoder.decode(request.body, contentType: request.header("content-type"), kind: def.kind)
        guard review.object != nil else { throw StatusError.badRequest("the body of the request must be a JSON object") }
        let spec = review["spec"] ?? .emptyObject
        var user = request.user
        if def.kind == "SubjectAccessReview" || def.kind == "LocalSubjectAccessReview" {
            let name = spec["user"]?.string ?? ""
            let groups = spec["groups"]?.array?.compactMap(\.string) ?? []
            if name.isEmpty, groups.isEmpty {
                throw StatusError.invalid(kind: def.kind, group: def.group, name: "", [
                    .invalid("spec.user", "", "at least one of user or group must be specified")])
            }
            user = UserInfo(name: name, uid: spec["uid"]?.string ?? "", groups: groups)
        }
        if def.kind == "SelfSubjectRulesReview" {
            let namespace = spec["namespace"]?.string ?? ""
            var resourceRules: [JSONValue] = []
            var nonResourceRules: [JSONValue] = []
            if user.isSuperuser {
                resourceRules = [["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]]]
                nonResourceRules = [["verbs": ["*"], "nonResourceURLs": ["*"]]]
            } else if let rbac {
                for rule in await rbac.rules(for: user, namespace: namespace) {
                    if rule["nonResourceURLs"] != nil { nonResourceRules.append(rule) } else { resourceRules.append(rule) }
                }
            }
            review["status"] = ["resourceRules": .array(resourceRules), "nonResourceRules": .array(nonResourceRules),
                                "incomplete": .bool(user.nodeName != nil && options.authorizationModes.contains("Node"))]
            return .json(reviewed(review, def), status: 201)
        }
        var attributes: AuthorizationAttributes
        if let r = spec["resourceAttributes"]?.object.map(JSONValue.object) {
            attributes = AuthorizationAttributes(user: user, verb: r["verb"]?.string ?? "", isResourceRequest: true)
            attributes.namespace = def.kind == "LocalSubjectAccessReview" ? info.namespace : (r["namespace"]?.string ?? "")
            attributes.apiGroup = r["group"]?.string ?? ""
            attributes.apiVersion = r["version"]?.string ?? ""
            attributes.resource = r["resource"]?.string ?? ""
            attributes.subresource = r["subresource"]?.string ?? ""
            attributes.name = r["name"]?.string ?? ""
        } else if let n = spec["nonResourceAttributes"]?.object.map(JSONValue.object) {
            attributes = AuthorizationAttributes(user: user, verb: n["verb"]?.string ?? "", isResourceRequest: false)
            attributes.path = n["path"]?.string ?? ""
        } else {
            throw StatusError.invalid(kind: def.kind, group: def.group, name: "", [
                .invalid("spec.resourceAttributes", "", "exactly one of nonResourceAttributes or resourceAttributes must be specified")])
        }
        let decision = await authorizer.authorize(attributes)
        switch decision {
        case .allow:
            review["status"] = ["allowed": true, "reason": user.isSuperuser ? "" : "allowed by authorizer"]
        case .deny(let reason):
            review["status"] = ["allowed": false, "denied": true, "reason": .string(reason)]
        case .noOpinion(let reason):
            review["status"] = ["allowed": false, "reason": .string(reason)]
        }
        return .json(reviewed(review, def), status: 201)
    }

    private func reviewed(_ review: JSONValue, _ def: ResourceDefinition) -> JSONValue {
        var r = review
        r["apiVersion"] = .string(def.apiVersion)
        r["kind"] = .string(def.kind)
        if r["metadata"] == nil { r["metadata"] = ["creationTimestamp": .null] }
        return r
    }
}
