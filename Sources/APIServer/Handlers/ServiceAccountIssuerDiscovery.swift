import KubeJSON

/// OpenID Connect discovery for the service account issuer (`/.well-known/openid-configuration` and
/// `/openid/v1/jwks`), so other systems can verify this cluster's service account tokens. Served when the issuer is
/// a URL and tokens are signed; readable by every service account through `system:service-account-issuer-discovery`.
struct ServiceAccountIssuerDiscovery: Sendable {
    static let configurationPath = "/.well-known/openid-configuration"
    static let jwksPath = "/openid/v1/jwks"

    let configuration: [UInt8]
    let jwks: [UInt8]

    init?(settings: ServiceAccountTokenSettings?, advertiseAddress: String, securePort: Int) {
        guard let settings, let issuer = settings.issuers.first, issuer.hasPrefix("https://"), let signingKey = settings.signingKey else {
            return nil
        }
        let host = advertiseAddress.contains(":") ? "[\(advertiseAddress)]" : advertiseAddress
        let jwksURI = settings.jwksURI ?? "https://\(host):\(securePort)\(Self.jwksPath)"
        var algorithms: [String] = []
        for key in settings.verificationKeys where !algorithms.contains(key.algorithm) { algorithms.append(key.algorithm) }
        if !algorithms.contains(signingKey.algorithm) { algorithms.insert(signingKey.algorithm, at: 0) }
        configuration = JSONWriter.write([
            "issuer": .string(issuer), "jwks_uri": .string(jwksURI), "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": .array(algorithms.map { .string($0) }),
        ])
        var seen = Set<String>()
        let keys = settings.verificationKeys.filter { seen.insert($0.keyID).inserted }
        jwks = JSONWriter.write(["keys": .array(keys.map(\.jwk))])
    }

    func serve(path: String) -> APIResponse? {
        let body: [UInt8]
        let type: String
        switch path {
        case Self.configurationPath: (body, type) = (configuration, "application/json")
        case Self.jwksPath: (body, type) = (jwks, "application/jwk-set+json")
        default: return nil
        }
        return APIResponse(status: 200, headers: [("content-type", type), ("cache-control", "public, max-age=3600")], body: .bytes(body))
    }
}
