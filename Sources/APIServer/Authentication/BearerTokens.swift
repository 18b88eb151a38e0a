import Logging

/// Bearer tokens, tried as upstream's union authenticator tries them: `--token-auth-file` first, then service
/// account tokens. A token nobody knows, or one that fails its checks, leaves the request unauthenticated (401).
extension APIServer {
    public enum TokenAuthentication: Sendable {
        case authenticated(UserInfo, audiences: [String])
        case rejected(String)
        case unknown
    }

    /// The `Authorization: Bearer …` header's user; nil when the header is not a bearer token or the token is not
    /// valid (the reason is logged at debug level, never the token).
    public func authenticateBearer(_ header: String) async -> UserInfo? {
        guard header.lowercased().hasPrefix("bearer ") else { return nil }
        let token = String(header.dropFirst(7)).trimmingCharacters()
        switch await authenticate(token: token, audiences: nil) {
        case .authenticated(let user, _): return user
        case .rejected(let why):
            logger.debug("bearer token rejected: \(why)")
            return nil
        case .unknown: return nil
        }
    }

    /// `audiences`: the ones a TokenReview asks for, instead of `--api-audiences`.
    func authenticate(token: String, audiences: [String]?) async -> TokenAuthentication {
        guard !token.isEmpty else { return .unknown }
        if let user = tokens?.authenticate(token) { return .authenticated(user, audiences: audiences ?? []) }
        guard let serviceAccounts else { return .unknown }
        switch await serviceAccounts.authenticate(token, now: Int64(Timestamp.now()), audiences: audiences) {
        case .notServiceAccountToken: return .unknown
        case .rejected(let why): return .rejected(why)
        case .authenticated(let user, let granted): return .authenticated(user, audiences: granted)
        }
    }
}
