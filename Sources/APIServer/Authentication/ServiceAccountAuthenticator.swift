import KubeJSON
import ServiceAccountToken

/// Service account user names and groups: `system:serviceaccount:<ns>:<name>` in `system:serviceaccounts` and
/// `system:serviceaccounts:<ns>`.
enum ServiceAccountUser {
    static let prefix = "system:serviceaccount:"

    static func name(namespace: String, name: String) -> String { "\(prefix)\(namespace):\(name)" }

    static func split(_ user: String) -> (namespace: String, name: String)? {
        guard user.hasPrefix(prefix) else { return nil }
        let parts = user.dropFirst(prefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    static func groups(namespace: String) -> [String] { ["system:serviceaccounts", "system:serviceaccounts:\(namespace)"] }
}

/// Authenticates service account tokens: what the token says about itself (`TokenValidator`), then what must still
/// hold in the cluster, as upstream's validators check it — the service account, and the Secret, Pod or Node the
/// token is bound to, exist with the UIDs the token names and are not being deleted; a legacy Secret token must be
/// the Secret's current one.
struct ServiceAccountAuthenticator: Sendable {
    let validator: TokenValidator
    let storage: any StorageReader

    enum Outcome: Sendable {
        case notServiceAccountToken
        case rejected(String)
        case authenticated(UserInfo, audiences: [String])
    }

    func authenticate(_ token: String, now: Int64, audiences: [String]? = nil) async -> Outcome {
        var validator = self.validator
        if let audiences, !audiences.isEmpty {
            validator = TokenValidator(keys: validator.keys, issuers: validator.issuers, audiences: audiences)
        }
        let claims: ServiceAccountClaims
        switch validator.validate(token, now: now) {
        case .notServiceAccountToken: return .notServiceAccountToken
        case .invalid(let why): return .rejected(why)
        case .valid(let c): claims = c
        }
        do {
            let namespace = claims.namespace
            guard let sa = try await storage.object("serviceaccounts", namespace: namespace, name: claims.serviceAccount.name) else {
                return .rejected("serviceaccounts \"\(claims.serviceAccount.name)\" not found")
            }
            if sa.metaDeletionTimestamp != nil { return .rejected("service account \(namespace)/\(sa.metaName) has been deleted") }
            if !claims.serviceAccount.uid.isEmpty, sa.metaUID != claims.serviceAccount.uid {
                return .rejected("service account UID (\(sa.metaUID)) does not match claim (\(claims.serviceAccount.uid))")
            }
            var extra: [String: [String]] = [:]
            if claims.isLegacy {
                guard let name = claims.secret?.name, let secret = try await storage.object("secrets", namespace: namespace, name: name),
                      secret.metaDeletionTimestamp == nil else { return .rejected("Token has been invalidated") }
                guard let stored = secret[path: ["data", "token"]]?.string.flatMap(Base64.decode), stored == Array(token.utf8) else {
                    return .rejected("Token does not match server's copy")
                }
            } else {
                if let ref = claims.secret, let why = try await boundObjectProblem("secrets", "secret", namespace: namespace, ref) { return .rejected(why) }
                if let ref = claims.pod {
                    if let why = try await boundObjectProblem("pods", "pod", namespace: namespace, ref) { return .rejected(why) }
                    extra["authentication.kubernetes.io/pod-name"] = [ref.name]
                    extra["authentication.kubernetes.io/pod-uid"] = [ref.uid]
                }
                if let ref = claims.node {
                    // A pod-bound token names the pod's node for information; only a node-bound token needs the Node.
                    if claims.pod == nil, let why = try await boundObjectProblem("nodes", "node", namespace: "", ref) { return .rejected(why) }
                    extra["authentication.kubernetes.io/node-name"] = [ref.name]
                    if !ref.uid.isEmpty { extra["authentication.kubernetes.io/node-uid"] = [ref.uid] }
                }
                if let jti = claims.id, !jti.isEmpty { extra["authentication.kubernetes.io/credential-id"] = ["JTI=\(jti)"] }
            }
            var user = UserInfo(name: claims.subject, uid: sa.metaUID,
                                groups: ServiceAccountUser.groups(namespace: namespace) + ["system:authenticated"])
            user.extra = extra
            let granted = claims.isLegacy ? validator.audiences : claims.audiences.filter(validator.audiences.contains)
            return .authenticated(user, audiences: granted)
        } catch {
            return .rejected("looking up the token's service account: \(error)")
        }
    }

    /// Why a bound object no longer backs the token, or nil when it does.
    private func boundObjectProblem(_ resource: String, _ kind: String, namespace: String,
                                    _ ref: ServiceAccountClaims.ObjectRef) async throws -> String? {
        guard let object = try await storage.object(resource, namespace: namespace, name: ref.name) else {
            return "\(resource) \"\(ref.name)\" not found"
        }
        if object.metaDeletionTimestamp != nil { return "Token has been invalidated" }
        if !ref.uid.isEmpty, object.metaUID != ref.uid {
            return "\(kind) UID (\(object.metaUID)) does not match service account \(kind) ref claim (\(ref.uid))"
        }
        return nil
    }
}

/// Reads one stored core/v1 object by resource, namespace and name (nil when absent).
protocol StorageReader: Sendable {
    func object(_ resource: String, namespace: String, name: String) async throws -> JSONValue?
}
