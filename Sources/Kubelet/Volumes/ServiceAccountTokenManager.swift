import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON

/// Service account tokens for projected volumes (upstream's token manager): requested with the TokenRequest API
/// (`serviceaccounts/<name>/token`) bound to the pod, kept per pod, service account, audience and lifetime, and
/// requested again once 80% of their life has passed (or after a day, whichever comes first).
actor ServiceAccountTokenManager {
    struct Key: Hashable {
        var namespace: String
        var serviceAccount: String
        var audience: String
        var expirationSeconds: Int64
        var podUID: String
    }

    struct Token {
        var token: String
        var issuedAt: Double
        var expiresAt: Double
    }

    /// The API's default for a projected token's `expirationSeconds`.
    static let defaultExpirationSeconds: Int64 = 3600
    static let maxAgeBeforeRefresh: Double = 24 * 3600

    private let client: any KubernetesClient
    private let now: @Sendable () -> Double
    private var tokens: [Key: Token] = [:]

    init(client: any KubernetesClient, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.client = client
        self.now = now
    }

    /// The token for `pod`'s service account, from the cache while it is fresh.
    func token(for pod: KubeletPod, serviceAccount: String, audience: String?, expirationSeconds: Int64?) async throws(VolumeError) -> String {
        let lifetime = expirationSeconds ?? Self.defaultExpirationSeconds
        let key = Key(namespace: pod.namespace, serviceAccount: serviceAccount, audience: audience ?? "",
                      expirationSeconds: lifetime, podUID: pod.uid)
        let current = now()
        if let cached = tokens[key], !Self.requiresRefresh(cached, now: current) { return cached.token }
        var spec: JSONValue = [
            "expirationSeconds": .int(lifetime),
            "boundObjectRef": ["apiVersion": "v1", "kind": "Pod", "name": .string(pod.name), "uid": .string(pod.uid)],
        ]
        if let audience, !audience.isEmpty { spec["audiences"] = [.string(audience)] }
        // The client addresses `serviceaccounts/<name>/token` by the body's name.
        let request: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                  "metadata": ["name": .string(serviceAccount), "namespace": .string(pod.namespace)], "spec": spec]
        let answer: JSONValue
        do {
            answer = try await client.create(.serviceAccounts, namespace: pod.namespace, object: request, subresource: "token")
        } catch {
            if let cached = tokens[key], cached.expiresAt > current { return cached.token }
            throw VolumeError("failed to fetch token: \(error)")
        }
        guard let token = answer[path: ["status", "token"]]?.string, !token.isEmpty else {
            throw VolumeError("failed to fetch token: the TokenRequest for \(pod.namespace)/\(serviceAccount) returned no token")
        }
        let expiresAt = answer[path: ["status", "expirationTimestamp"]]?.string.flatMap(RFC3339.parse)?.timeIntervalSince1970
            ?? current + Double(lifetime)
        tokens[key] = Token(token: token, issuedAt: current, expiresAt: expiresAt)
        return token
    }

    static func requiresRefresh(_ token: Token, now: Double) -> Bool {
        let life = max(token.expiresAt - token.issuedAt, 0)
        return now >= token.issuedAt + life * 0.8 || now >= token.issuedAt + maxAgeBeforeRefresh
    }

    /// Forgets the tokens of a pod that is gone.
    func forget(podUID: String) {
        tokens = tokens.filter { $0.key.podUID != podUID }
    }
}
