/// The identity of a request: user name, groups (always including system:authenticated or
/// system:unauthenticated) and, for tokens, the UID.
public struct UserInfo: Sendable, Equatable, Hashable {
    public var name: String
    public var uid: String
    public var groups: [String]
    public var extra: [String: [String]] = [:]

    public init(name: String, uid: String = "", groups: [String]) {
        self.name = name
        self.uid = uid
        self.groups = groups
    }

    public static let anonymous = UserInfo(name: "system:anonymous", groups: ["system:unauthenticated"])
    public var isAnonymous: Bool { name == "system:anonymous" }

    public static let mastersGroup = "system:masters"
    public var isSuperuser: Bool { groups.contains(Self.mastersGroup) }

    /// `system:node:<name>` in `system:nodes`: the node's name, for the Node authorizer.
    public var nodeName: String? {
        guard groups.contains("system:nodes"), name.hasPrefix("system:node:") else { return nil }
        let node = String(name.dropFirst("system:node:".count))
        return node.isEmpty ? nil : node
    }

    /// A client certificate's identity: CN is the user, each O a group.
    public static func fromCertificate(commonName: String, organizations: [String]) -> UserInfo {
        UserInfo(name: commonName, groups: organizations + ["system:authenticated"])
    }
}
