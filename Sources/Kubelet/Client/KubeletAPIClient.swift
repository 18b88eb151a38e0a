import KubeClient

/// The kubelet's connection to the kube-apiserver (`--kubeconfig`: the node's client certificate, the cluster CA,
/// the server): one HTTP/2 connection per process, shared as upstream's kubelet shares it by two clients. `client`
/// (pods, mirror pods, events, reviews) is rate-limited by kubeAPIQPS/kubeAPIBurst; `heartbeat` (Node status and
/// Lease) is not limited, so a burst of pod updates never holds back the heartbeat, and its requests give up within
/// a heartbeat period.
public struct KubeletAPIClient: Sendable {
    public let client: any KubernetesClient
    public let heartbeat: any KubernetesClient
    /// For logs.
    public let server: String
    private let dropConnection: @Sendable () async -> Void

    public init(client: any KubernetesClient, heartbeat: any KubernetesClient, server: String,
                dropConnection: @escaping @Sendable () async -> Void = {}) {
        self.client = client
        self.heartbeat = heartbeat
        self.server = server
        self.dropConnection = dropConnection
    }

    /// A client over a new connection to the server of the kubeconfig at `path`. Nothing is dialled yet: the
    /// apiserver may be a static pod this kubelet has still to start, so the first request connects, and every
    /// request after a lost or refused connection dials again.
    public init(kubeconfigPath path: String, settings: KubeletSettings, version: String) throws {
        var config = try ClientConfig.load(kubeconfig: path)
        config.userAgent = "kubelet/\(version) (linux/\(HostInfo.architecture))"
        let transport = try HTTP2Transport(config: config)
        let host = config.host.contains(":") ? "[\(config.host)]" : config.host
        self.init(client: RESTClient(transport: transport, qps: settings.kubeAPIQPS, burst: settings.kubeAPIBurst),
                  heartbeat: TimeLimitedClient(RESTClient(transport: transport, qps: 0, burst: 1),
                                               timeout: .seconds(settings.heartbeatTimeout)),
                  server: "https://\(host):\(config.port)",
                  dropConnection: { await transport.close() })
    }

    /// Upstream's onRepeatedHeartbeatFailure: after a second heartbeat in a row fails without an answer from the
    /// server, the connection is closed so the next request dials a new one. A connection the kernel still holds
    /// open but that carries nothing (a peer gone without a FIN) would otherwise fail every request until TCP gives
    /// up on it, minutes later. An HTTP answer proves the connection works, so errors with a status do not count.
    func heartbeatFailed(_ error: any Error, consecutive: Int) async {
        guard consecutive >= 2, !(error is APIError) else { return }
        await dropConnection()
    }
}

extension ResourceType {
    static let subjectAccessReviews = ResourceType(group: "authorization.k8s.io", version: "v1", resource: "subjectaccessreviews",
                                                   kind: "SubjectAccessReview", namespaced: false)
}

extension APIError {
    /// Any 409: where the kubelet creates an object, one that already exists is handled as a conflicting write is.
    var isConflictOrExists: Bool { isConflict || isAlreadyExists }
}
