import KubeJSON

/// The claims of a service account token, as upstream writes them (pkg/serviceaccount/claims.go).
///
/// Bound tokens (TokenRequest, projected volumes) carry `iss`, `sub`, `aud`, `exp`, `iat`, `nbf`, `jti` and a
/// private `kubernetes.io` claim naming the namespace, the service account and the object the token is bound to.
/// Legacy tokens (the Secret of type `kubernetes.io/service-account-token`) have the issuer
/// `kubernetes/serviceaccount`, no expiry and flat `kubernetes.io/serviceaccount/…` claims.
public struct ServiceAccountClaims: Sendable, Equatable {
    public struct ObjectRef: Sendable, Equatable {
        public var name: String
        public var uid: String
        public init(name: String, uid: String) {
            self.name = name
            self.uid = uid
        }
    }

    public static let legacyIssuer = "kubernetes/serviceaccount"

    public var issuer: String
    public var audiences: [String] = []
    public var expiry: Int64?
    public var issuedAt: Int64?
    public var notBefore: Int64?
    public var id: String?
    public var namespace: String
    public var serviceAccount: ObjectRef
    public var pod: ObjectRef?
    public var secret: ObjectRef?
    public var node: ObjectRef?
    public var warnAfter: Int64?

    public init(issuer: String, namespace: String, serviceAccount: ObjectRef) {
        self.issuer = issuer
        self.namespace = namespace
        self.serviceAccount = serviceAccount
    }

    public var isLegacy: Bool { issuer == Self.legacyIssuer }
    public var subject: String { "system:serviceaccount:\(namespace):\(serviceAccount.name)" }

    /// A bound token's claims: valid from `now` for `expirationSeconds`.
    public static func bound(issuer: String, audiences: [String], namespace: String, serviceAccount: ObjectRef, now: Int64,
                             expirationSeconds: Int64, id: String) -> ServiceAccountClaims {
        var claims = ServiceAccountClaims(issuer: issuer, namespace: namespace, serviceAccount: serviceAccount)
        claims.audiences = audiences
        claims.issuedAt = now
        claims.notBefore = now
        claims.expiry = now + expirationSeconds
        claims.id = id
        return claims
    }

    /// A legacy Secret token's claims (no audience, no expiry: valid as long as the Secret exists).
    public static func legacy(namespace: String, serviceAccount: ObjectRef, secretName: String) -> ServiceAccountClaims {
        var claims = ServiceAccountClaims(issuer: legacyIssuer, namespace: namespace, serviceAccount: serviceAccount)
        claims.secret = ObjectRef(name: secretName, uid: "")
        return claims
    }

    public var json: JSONValue {
        if isLegacy {
            return [
                "iss": .string(issuer), "sub": .string(subject),
                "kubernetes.io/serviceaccount/namespace": .string(namespace),
                "kubernetes.io/serviceaccount/secret.name": .string(secret?.name ?? ""),
                "kubernetes.io/serviceaccount/service-account.name": .string(serviceAccount.name),
                "kubernetes.io/serviceaccount/service-account.uid": .string(serviceAccount.uid),
            ]
        }
        var kubernetes: JSONValue = ["namespace": .string(namespace), "serviceaccount": Self.refJSON(serviceAccount)]
        if let pod { kubernetes["pod"] = Self.refJSON(pod) }
        if let secret { kubernetes["secret"] = Self.refJSON(secret) }
        if let node { kubernetes["node"] = Self.refJSON(node) }
        if let warnAfter { kubernetes["warnafter"] = .int(warnAfter) }
        var claims: JSONValue = [
            "iss": .string(issuer), "sub": .string(subject), "aud": .array(audiences.map { .string($0) }),
            "kubernetes.io": kubernetes,
        ]
        if let expiry { claims["exp"] = .int(expiry) }
        if let issuedAt { claims["iat"] = .int(issuedAt) }
        if let notBefore { claims["nbf"] = .int(notBefore) }
        if let id { claims["jti"] = .string(id) }
        return claims
    }

    static func refJSON(_ ref: ObjectRef) -> JSONValue {
        ["name": .string(ref.name), "uid": .string(ref.uid)]
    }

    /// Reads verified claims back; nil unless they are a service account token's (either form).
    public init?(parsing claims: JSONValue) {
        guard let issuer = claims["iss"]?.string else { return nil }
        if issuer == Self.legacyIssuer {
            guard let namespace = claims["kubernetes.io/serviceaccount/namespace"]?.string, !namespace.isEmpty,
                  let name = claims["kubernetes.io/serviceaccount/service-account.name"]?.string, !name.isEmpty,
                  let secret = claims["kubernetes.io/serviceaccount/secret.name"]?.string, !secret.isEmpty else { return nil }
            self.init(issuer: issuer, namespace: namespace,
                      serviceAccount: ObjectRef(name: name, uid: claims["kubernetes.io/serviceaccount/service-account.uid"]?.string ?? ""))
            self.secret = ObjectRef(name: secret, uid: "")
        } else {
            guard let kubernetes = claims["kubernetes.io"], let namespace = kubernetes["namespace"]?.string, !namespace.isEmpty,
                  let serviceAccount = Self.ref(kubernetes["serviceaccount"]) else { return nil }
            self.init(issuer: issuer, namespace: namespace, serviceAccount: serviceAccount)
            pod = Self.ref(kubernetes["pod"])
            secret = Self.ref(kubernetes["secret"])
            node = Self.ref(kubernetes["node"])
            warnAfter = kubernetes["warnafter"]?.int
        }
        // A single audience may be a string (RFC 7519 §4.1.3).
        if let single = claims["aud"]?.string { audiences = [single] } else {
            audiences = claims["aud"]?.array?.compactMap(\.string) ?? []
        }
        expiry = claims["exp"]?.int
        issuedAt = claims["iat"]?.int
        notBefore = claims["nbf"]?.int
        id = claims["jti"]?.string
        // The subject must agree with the private claims.
        if let sub = claims["sub"]?.string, sub != subject { return nil }
    }

    static func ref(_ value: JSONValue?) -> ObjectRef? {
        guard let name = value?["name"]?.string, !name.isEmpty else { return nil }
        return ObjectRef(name: name, uid: value?["uid"]?.string ?? "")
    }
}
