/// kube-controller-manager's settings that controllers read (upstream's flag names in the comments).
public struct ControllerManagerOptions: Sendable {
    /// --concurrent-deployment-syncs, --concurrent-replicaset-syncs, … (upstream's defaults).
    public var concurrentDeploymentSyncs = 5
    public var concurrentReplicaSetSyncs = 5
    /// --concurrent-rc-syncs
    public var concurrentRCSyncs = 5
    public var concurrentStatefulSetSyncs = 5
    public var concurrentDaemonSetSyncs = 2
    public var concurrentJobSyncs = 5
    public var concurrentCronJobSyncs = 5
    public var concurrentGCSyncs = 20
    public var concurrentNamespaceSyncs = 10
    public var concurrentServiceAccountTokenSyncs = 5
    public var concurrentEndpointSyncs = 5
    public var concurrentServiceEndpointSyncs = 5
    public var concurrentTTLSyncs = 5
    public var concurrentResourceQuotaSyncs = 5
    /// --concurrent-horizontal-pod-autoscaler-syncs
    public var concurrentHorizontalPodAutoscalerSyncs = 5
    /// --horizontal-pod-autoscaler-sync-period, seconds.
    public var horizontalPodAutoscalerSyncPeriod: Double = 15
    /// --max-endpoints-per-slice.
    public var maxEndpointsPerSlice = 100
    /// --node-monitor-grace-period (50 s in 1.32), --node-monitor-period (5 s), --node-startup-grace-period (60 s).
    public var nodeMonitorGracePeriod: Double = 50
    public var nodeMonitorPeriod: Double = 5
    public var nodeStartupGracePeriod: Double = 60
    /// --terminated-pod-gc-threshold.
    public var terminatedPodGCThreshold = 12500
    /// --root-ca-file: the CA published as kube-root-ca.crt in every namespace.
    public var rootCAPEM: String?
    /// --service-account-private-key-file: signs the tokens of legacy token Secrets.
    public var serviceAccountSigningKeyPEM: String?
    /// --cluster-name.
    public var clusterName = "kubernetes"
    /// --cluster-signing-cert-file / --cluster-signing-key-file.
    public var clusterSigningCertFile: String?
    public var clusterSigningKeyFile: String?
    /// The CA (certificate and key PEM) csrsigning signs each signer's requests with, by signer name: from
    /// --cluster-signing-{cert,key}-file for all four, or the per-signer flags. None: csrsigning does not run.
    public var signingAuthorities: [String: SigningKeyPair] = [:]
    /// --cluster-signing-duration (8760h): the longest validity csrsigning gives.
    public var clusterSigningDuration: Double = 8760 * 3600

    public init() {}
}

/// A CA's certificate and private key as PEM text.
public struct SigningKeyPair: Sendable, Equatable {
    public var certificatePEM: String
    public var keyPEM: String

    public init(certificatePEM: String, keyPEM: String) {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
    }
}
