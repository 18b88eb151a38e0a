/// What a request wants to do, as upstream's authorizer.Attributes.
public struct AuthorizationAttributes: Sendable {
    public var user: UserInfo
    public var verb: String
    public var isResourceRequest: Bool
    public var namespace: String = ""
    public var apiGroup: String = ""
    public var apiVersion: String = ""
    public var resource: String = ""
    public var subresource: String = ""
    public var name: String = ""
    public var path: String = ""

    public init(user: UserInfo, verb: String, isResourceRequest: Bool) {
        self.user = user
        self.verb = verb
        self.isResourceRequest = isResourceRequest
    }

    init(user: UserInfo, info: RequestInfo) {
        self.init(user: user, verb: info.verb, isResourceRequest: info.isResourceRequest)
        namespace = info.namespace
        apiGroup = info.apiGroup
        apiVersion = info.apiVersion
        resource = info.resource
        subresource = info.subresource
        name = info.name
        path = info.path
    }

    /// upstream's forbidden message: `User "u" cannot list resource "pods" in API group "" in the namespace "default"`.
    public var deniedMessage: String {
        let who = "User \"\(user.name)\""
        guard isResourceRequest else { return "forbidden: \(who) cannot \(verb) path \"\(path)\"" }
        let resourceName = subresource.isEmpty ? resource : "\(resource)/\(subresource)"
        let scope = namespace.isEmpty ? "at the cluster scope" : "in the namespace \"\(namespace)\""
        let subject = name.isEmpty ? resourceName : "\(resourceName) \"\(name)\""
        let qualified = apiGroup.isEmpty ? subject : subject.replacingFirst(resourceName, with: "\(resourceName).\(apiGroup)")
        return "\(qualified) is forbidden: \(who) cannot \(verb) resource \"\(resourceName)\" in API group \"\(apiGroup)\" \(scope)"
    }
}

public enum AuthorizationDecision: Sendable, Equatable {
    case allow
    case deny(String)
    case noOpinion(String)
}

public protocol Authorizer: Sendable {
    func authorize(_ attributes: AuthorizationAttributes) async -> AuthorizationDecision
}

/// `--authorization-mode=Node,RBAC`: the first authorizer with an opinion decides; system:masters bypasses all.
public struct AuthorizerChain: Authorizer {
    public var authorizers: [any Authorizer]
    public init(_ authorizers: [any Authorizer]) { self.authorizers = authorizers }

    public func authorize(_ attributes: AuthorizationAttributes) async -> AuthorizationDecision {
        if attributes.user.isSuperuser { return .allow }
        var reasons: [String] = []
        for authorizer in authorizers {
            switch await authorizer.authorize(attributes) {
            case .allow: return .allow
            case .deny(let reason): return .deny(reason)
            case .noOpinion(let reason): if !reason.isEmpty { reasons.append(reason) }
            }
        }
        return .noOpinion(reasons.joined(separator: ", "))
    }
}

/// `--authorization-mode=AlwaysAllow`.
public struct AlwaysAllowAuthorizer: Authorizer {
    public init() {}
    public func authorize(_ attributes: AuthorizationAttributes) async -> AuthorizationDecision { .allow }
}

extension String {
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target) else { return self }
        return replacingCharacters(in: range, with: replacement)
    }
}
