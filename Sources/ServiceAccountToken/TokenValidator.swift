import KubeJSON

/// Checks what a service account token says about itself, as upstream's JWT token authenticator does before it
/// looks anything up: issued by one of ours, signed by one of `--service-account-key-file`'s keys, within its
/// validity (a minute of leeway for clock skew), and meant for this apiserver (`--api-audiences`).
/// Whether the service account and the bound object still exist is the caller's part.
public struct TokenValidator: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Not a JWT of one of our issuers: another authenticator may know it.
        case notServiceAccountToken
        case invalid(String)
        case valid(ServiceAccountClaims)
    }

    public let keys: [VerificationKey]
    public let issuers: [String]
    public let audiences: [String]
    public var leewaySeconds: Int64 = 60

    public init(keys: [VerificationKey], issuers: [String], audiences: [String]) {
        self.keys = keys
        self.issuers = issuers
        self.audiences = audiences
    }

    public func validate(_ token: String, now: Int64) -> Outcome {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64.urlDecode(parts[0]), let claimBytes = Base64.urlDecode(parts[1]),
              let header = try? JSONParser.parse(headerBytes), let claims = try? JSONParser.parse(claimBytes),
              let issuer = claims["iss"]?.string else { return .notServiceAccountToken }
        guard issuer == ServiceAccountClaims.legacyIssuer || issuers.contains(issuer) else { return .notServiceAccountToken }
        guard let signature = Base64.urlDecode(parts[2]), let algorithm = header["alg"]?.string else {
            return .invalid("malformed token")
        }
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        // A kid narrows the search; without one (or an unknown one) every key is tried, as upstream does.
        let kid = header["kid"]?.string
        let candidates = keys.filter { $0.keyID == kid }.isEmpty ? keys : keys.filter { $0.keyID == kid }
        guard candidates.contains(where: { $0.isValid(signature: signature, for: signingInput, algorithm: algorithm) }) else {
            return .invalid("invalid signature")
        }
        guard let parsed = ServiceAccountClaims(parsing: claims) else {
            return .invalid("token lacks the service account claims")
        }
        if parsed.isLegacy { return .valid(parsed) }
        // Times are claims of a token any holder of an accepted key may have signed: compared without overflow.
        let late = now.subtractingReportingOverflow(leewaySeconds), early = now.addingReportingOverflow(leewaySeconds)
        if let exp = parsed.expiry, !late.overflow, late.partialValue > exp { return .invalid("service account token has expired") }
        if let nbf = parsed.notBefore, !early.overflow, early.partialValue < nbf { return .invalid("service account token is not valid yet") }
        if let iat = parsed.issuedAt, !early.overflow, early.partialValue < iat { return .invalid("service account token issued in the future") }
        guard parsed.audiences.contains(where: audiences.contains) else {
            return .invalid("token audiences \(Self.goQuote(parsed.audiences)) is invalid for the target audiences \(Self.goQuote(audiences))")
        }
        return .valid(parsed)
    }

    /// Go's %q of a []string: `["a" "b"]`.
    static func goQuote(_ values: [String]) -> String {
        "[" + values.map { "\"\($0)\"" }.joined(separator: " ") + "]"
    }
}
