/// Flags kube-controller-manager and kube-scheduler share upstream (component-base's secure serving, delegated
/// authentication/authorization and leader election), defined once.
public enum ComponentFlags {
    /// Delegated authn/authz and TLS serving flags kubeadm writes: accepted and logged, not acted on (the health
    /// port serves its paths without authentication, with a self-signed certificate).
    public static let delegatedServing: [Flag] = [
        Flag("authentication-kubeconfig", usage: "kubeconfig file pointing at the 'core' kubernetes server with enough rights to create tokenreviews.authentication.k8s.io (accepted; the health port needs no authentication)."),
        Flag("authorization-kubeconfig", usage: "kubeconfig file pointing at the 'core' kubernetes server with enough rights to create subjectaccessreviews.authorization.k8s.io (accepted)."),
        Flag("client-ca-file", usage: "If set, any request presenting a client certificate signed by one of the authorities in the client-ca-file is authenticated (accepted)."),
        Flag("requestheader-client-ca-file", usage: "Root certificate bundle to use to verify client certificates on incoming requests (accepted)."),
        Flag("profiling", kind: .bool, default: "true", usage: "Accepted; profiling is not available."),
        Flag("feature-gates", kind: .stringToString, usage: "Accepted; no feature gates are implemented."),
        Flag("authorization-always-allow-paths", kind: .strings, default: "/healthz,/readyz,/livez", usage: "Paths served without authorization (these are fixed here)."),
        Flag("tls-cert-file", usage: "File containing the x509 certificate for HTTPS (accepted; a self-signed one is generated)."),
        Flag("tls-private-key-file", usage: "File containing the x509 private key matching --tls-cert-file (accepted)."),
    ]

    /// `--leader-elect*` with upstream's defaults; the lease is kube-system/`resourceName`.
    public static func leaderElection(resourceName: String) -> [Flag] {
        [
            Flag("leader-elect", kind: .bool, default: "true", usage: "Start a leader election client and gain leadership before executing the main loop."),
            Flag("leader-elect-lease-duration", kind: .duration, default: "15s", usage: "The duration that non-leader candidates will wait after observing a leadership renewal until attempting to acquire leadership."),
            Flag("leader-elect-renew-deadline", kind: .duration, default: "10s", usage: "The interval between attempts by the acting master to renew a leadership slot before it stops leading."),
            Flag("leader-elect-retry-period", kind: .duration, default: "2s", usage: "The duration the clients should wait between attempting acquisition and renewal of a leadership."),
            Flag("leader-elect-resource-lock", default: "leases", usage: "The type of resource object that is used for locking during leader election. Supported options are 'leases'."),
            Flag("leader-elect-resource-name", default: resourceName, usage: "The name of resource object that is used for locking during leader election."),
            Flag("leader-elect-resource-namespace", default: "kube-system", usage: "The namespace of resource object that is used for locking during leader election."),
        ]
    }
}
