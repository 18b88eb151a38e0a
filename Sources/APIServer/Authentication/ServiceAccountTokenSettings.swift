import ServiceAccountToken

/// What the `--service-account-*` and `--api-audiences` flags resolve to.
public struct ServiceAccountTokenSettings: Sendable {
    /// `--service-account-issuer`: the first one is written into new tokens; tokens of any of them are accepted
    /// (so an issuer can be changed without invalidating the tokens already out).
    public var issuers: [String]
    /// `--service-account-signing-key-file`; without it, no tokens are issued (the `token` subresource is 404).
    public var signingKey: SigningKey?
    /// `--service-account-key-file` keys plus the signing key's public half.
    public var verificationKeys: [VerificationKey]
    /// `--api-audiences`; defaults to the issuers.
    public var apiAudiences: [String]
    /// `--service-account-max-token-expiration` in seconds (nil: no cap).
    public var maxExpirationSeconds: Int64?
    /// `--service-account-extend-token-expiration`: pod-bound tokens of the default 3607 s for the apiserver's own
    /// audiences are valid a year but warn after the requested time, as upstream does for a safe rollout.
    public var extendExpiration = true
    /// `--service-account-jwks-uri`; defaults to `https://<advertise-address>:<secure-port>/openid/v1/jwks`.
    public var jwksURI: String?

    public init(issuers: [String], signingKey: SigningKey?, verificationKeys: [VerificationKey], apiAudiences: [String]) {
        self.issuers = issuers
        self.signingKey = signingKey
        self.verificationKeys = verificationKeys
        self.apiAudiences = apiAudiences.isEmpty ? issuers : apiAudiences
    }

    var validator: TokenValidator {
        TokenValidator(keys: verificationKeys, issuers: issuers, audiences: apiAudiences)
    }

    /// Upstream's WarnOnlyBoundTokenExpirationSeconds and ExpirationExtensionSeconds.
    static let warnOnlyExpirationSeconds: Int64 = 60 * 60 + 7
    static let extendedExpirationSeconds: Int64 = 24 * 365 * 60 * 60
}
