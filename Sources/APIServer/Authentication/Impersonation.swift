/// Upstream's impersonation filter (`kubectl --as`, `--as-group`, `--as-uid`): after authentication and before
/// authorization, a request carrying `Impersonate-*` headers becomes the impersonated user's request, once the real
/// user is allowed to `impersonate` each part (users, groups, serviceaccounts, uids, userextras/<key>).
enum Impersonation {
    static let userHeader = "impersonate-user"
    static let groupHeader = "impersonate-group"
    static let uidHeader = "impersonate-uid"
    static let extraPrefix = "impersonate-extra-"

    /// The impersonated identity and what the requestor must be allowed to impersonate for it, in upstream's order:
    /// the user (or service account), each group, each extra value, the UID. nil without `Impersonate-*` headers.
    static func requested(_ request: APIRequest) throws(StatusError) -> (user: UserInfo, targets: [AuthorizationAttributes])? {
        var name: String?
        var groups: [String] = []
        var uid: String?
        var extra: [String: [String]] = [:]
        var extraOrder: [String] = []
        for (header, value) in request.headers {
            let lower = header.lowercased()
            if lower == userHeader { name = value } else if lower == groupHeader { groups.append(value) } else if lower == uidHeader {
                uid = value
            } else if lower.hasPrefix(extraPrefix) {
                // The key is percent-encoded in the header name; keys are case-insensitive, so lower-cased.
                let key = QueryParameters.decode(String(lower.dropFirst(extraPrefix.count))).lowercased()
                if extra[key] == nil { extraOrder.append(key) }
                extra[key, default: []].append(value)
            }
        }
        guard name != nil || !groups.isEmpty || uid != nil || !extra.isEmpty else { return nil }
        guard let name, !name.isEmpty else {
            var asked: [String] = groups.map { "group \"\($0)\"" }
            if let uid { asked.append("uid \"\(uid)\"") }
            asked += extraOrder.map { "extra \"\($0)\"" }
            throw .badRequest("requested impersonation of \(asked.joined(separator: ", ")) without impersonating a user (Impersonate-User)")
        }

        let requestor = request.user
        func check(_ resource: String, group: String = "", namespace: String = "", name: String, subresource: String = "") -> AuthorizationAttributes {
            var a = AuthorizationAttributes(user: requestor, verb: "impersonate", isResourceRequest: true)
            a.apiGroup = group
            a.apiVersion = "v1"
            a.resource = resource
            a.subresource = subresource
            a.namespace = namespace
            a.name = name
            return a
        }

        var targets: [AuthorizationAttributes] = []
        var impersonatedGroups: [String] = []
        if let sa = ServiceAccountUser.split(name) {
            targets.append(check("serviceaccounts", namespace: sa.namespace, name: sa.name))
            // A service account's groups follow from its name, unless groups are asked for explicitly.
            if groups.isEmpty { impersonatedGroups = ServiceAccountUser.groups(namespace: sa.namespace) }
        } else {
            targets.append(check("users", name: name))
        }
        for group in groups {
            targets.append(check("groups", name: group))
            impersonatedGroups.append(group)
        }
        for key in extraOrder {
            for value in extra[key] ?? [] {
                targets.append(check("userextras", group: "authentication.k8s.io", name: value, subresource: key))
            }
        }
        if let uid { targets.append(check("uids", group: "authentication.k8s.io", name: uid)) }

        if name == UserInfo.anonymous.name {
            if !impersonatedGroups.contains("system:unauthenticated") { impersonatedGroups.append("system:unauthenticated") }
        } else if !impersonatedGroups.contains("system:authenticated"), !impersonatedGroups.contains("system:unauthenticated") {
            impersonatedGroups.append("system:authenticated")
        }
        var user = UserInfo(name: name, uid: uid ?? "", groups: impersonatedGroups)
        user.extra = extra
        return (user, targets)
    }
}

extension APIServer {
    /// The request as the impersonated user, after checking that the real user may impersonate every part of it
    /// (403 naming the first part that is not allowed, as upstream).
    func impersonate(_ request: APIRequest) async throws -> APIRequest {
        guard let (user, targets) = try Impersonation.requested(request) else { return request }
        for target in targets {
            switch await authorizer.authorize(target) {
            case .allow: continue
            case .deny(let reason), .noOpinion(let reason):
                var message = target.deniedMessage
                if !reason.isEmpty { message += ": \(reason)" }
                throw StatusError.forbidden(message, resource: GroupResource(group: target.apiGroup, resource: target.resource),
                                            name: target.name)
            }
        }
        logger.debug("impersonating", metadata: ["requestor": "\(request.user.name)", "as": "\(user.name)"])
        var impersonated = request
        impersonated.user = user
        return impersonated
    }
}
