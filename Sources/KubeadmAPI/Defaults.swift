import KubeAPI
import PKI

/// kubeadm's default values, in one place.
public enum KubeadmDefaults {
    public static let certificatesDir = "/etc/kubernetes/pki"
    public static let kubeconfigDir = "/etc/kubernetes"
    public static let manifestsDir = "/etc/kubernetes/manifests"
    public static let bindPort = 6443
    public static let serviceSubnet = "10.96.0.0/12"
    public static let dnsDomain = "cluster.local"
    public static let clusterName = "kubernetes"
    public static let imageRepository = "registry.k8s.io"
    public static let etcdDataDir = "/var/lib/etcd"
    public static let kubernetesVersion = "v1.32.0"
    public static let certificateValidity = GoDuration.hours(8760)
    public static let caCertificateValidity = GoDuration.hours(87600)

    /// The v1beta4 InitConfiguration + ClusterConfiguration that `config print init-defaults` shows, filled with
    /// this host's node name and address so the output works as a `--config` on the same host unchanged.
    public static func initDefaults(host: HostFacts) -> (V1Beta4.InitConfiguration, V1Beta4.ClusterConfiguration) {
        var initCfg = V1Beta4.InitConfiguration()
        initCfg.bootstrapTokens = [V1Beta4.BootstrapToken(
            token: "abcdef.0123456789abcdef", description: nil, ttl: .hours(24), expires: nil,
            usages: ["signing", "authentication"], groups: ["system:bootstrappers:kubeadm:default-node-token"])]
        initCfg.localAPIEndpoint = V1Beta4.APIEndpoint(advertiseAddress: host.defaultAddress?.description ?? "127.0.0.1",
                                                      bindPort: bindPort)
        var registration = V1Beta4.NodeRegistrationOptions()
        registration.name = host.hostname.lowercased()
        registration.imagePullPolicy = "IfNotPresent"
        registration.imagePullSerial = true
        initCfg.nodeRegistration = registration
        initCfg.timeouts = V1Beta4.Timeouts(
            controlPlaneComponentHealthCheck: .minutes(4), kubeletHealthCheck: .minutes(4),
            kubernetesAPICall: .minutes(1), etcdAPICall: .minutes(2), tlsBootstrap: .minutes(5),
            discovery: .minutes(5), upgradeManifests: .minutes(5))

        var cluster = V1Beta4.ClusterConfiguration()
        cluster.apiServer = V1Beta4.APIServer()
        cluster.caCertificateValidityPeriod = caCertificateValidity
        cluster.certificateValidityPeriod = certificateValidity
        cluster.certificatesDir = certificatesDir
        cluster.clusterName = clusterName
        cluster.controllerManager = V1Beta4.ControlPlaneComponent()
        cluster.dns = V1Beta4.DNS()
        cluster.encryptionAlgorithm = EncryptionAlgorithm.default.rawValue
        cluster.etcd = V1Beta4.Etcd(local: V1Beta4.LocalEtcd(dataDir: etcdDataDir), external: nil)
        cluster.imageRepository = imageRepository
        cluster.kubernetesVersion = kubernetesVersion
        cluster.networking = V1Beta4.Networking(serviceSubnet: serviceSubnet, podSubnet: nil, dnsDomain: dnsDomain)
        cluster.proxy = V1Beta4.Proxy()
        cluster.scheduler = V1Beta4.ControlPlaneComponent()
        return (initCfg, cluster)
    }
}
