import ControllerRuntime
import KubeClient
import KubeJSON
import Logging
import Synchronization

/// `--use-service-account-credentials`: each controller acts as `system:serviceaccount:kube-system:<name>`, with a
/// token the manager requests for it (TokenRequest, one hour, renewed at 80 % of its life), as upstream's
/// SAControllerClientBuilder does. The service account is created when missing.
public final class ServiceAccountCredentials: Sendable {
    private let root: any KubernetesClient
    private let base: ClientConfig
    private let clock: any RuntimeClock
    private let logger: Logger
    private let renewals = Mutex<[Task<Void, Never>]>([])

    public init(root: any KubernetesClient, base: ClientConfig, clock: any RuntimeClock = SystemClock(), logger: Logger) {
        self.root = root
        self.base = base
        self.clock = clock
        self.logger = logger
    }

    final class TokenBox: Sendable {
        let token = Mutex<String?>(nil)
    }

    public func client(for serviceAccount: String) async throws -> any KubernetesClient {
        let box = TokenBox()
        let (token, lifetime) = try await requestToken(serviceAccount)
        box.token.withLock { $0 = token }
        var config = base
        config.certificatePEM = nil
        config.keyPEM = nil
        config.bearerToken = { box.token.withLock { $0 } }
        let clock = self.clock, logger = self.logger
        let renewal = Task { [self] in
            var wait = lifetime * 0.8
            while !Task.isCancelled {
                guard (try? await clock.sleep(for: wait)) != nil else { return }
                do {
                    let (next, life) = try await requestToken(serviceAccount)
                    box.token.withLock { $0 = next }
                    wait = life * 0.8
                } catch {
                    logger.warning("renewing the token of kube-system/\(serviceAccount) failed: \(error); retrying in 10s")
                    wait = 10
                }
            }
        }
        renewals.withLock { $0.append(renewal) }
        return try RESTClient(config: config)
    }

    private func requestToken(_ name: String) async throws -> (String, Double) {
        do {
            _ = try await root.get(.serviceAccounts, namespace: "kube-system", name: name)
        } catch let error as APIError where error.isNotFound {
            do {
                _ = try await root.create(.serviceAccounts, namespace: "kube-system",
                                          ["apiVersion": "v1", "kind": "ServiceAccount",
                                           "metadata": ["name": .string(name), "namespace": "kube-system"]])
            } catch let error as APIError where error.isAlreadyExists {}
        }
        let request: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                                  "metadata": ["name": .string(name), "namespace": "kube-system"],
                                  "spec": ["expirationSeconds": 3600]]
        let answer = try await root.create(.serviceAccounts, namespace: "kube-system", object: request, subresource: "token")
        guard let token = answer[path: ["status", "token"]]?.string, !token.isEmpty else {
            throw ControllerManagerError("the TokenRequest for kube-system/\(name) returned no token")
        }
        let expires = answer[path: ["status", "expirationTimestamp"]]?.string.flatMap { SystemClock.parse($0) }
        let life = expires.map { max(60, $0 - clock.now()) } ?? 3600
        return (token, life)
    }

    public func stop() {
        for task in renewals.withLock({ $0 }) { task.cancel() }
    }
}
