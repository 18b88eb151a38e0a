/// The version every Kubestrap binary reports. The Kubernetes version is the API level the binaries
/// implement, so kubectl's version-skew checks see a familiar server.
public enum KubestrapVersion {
    public static let kubernetes = "v1.32.0"
    public static let gitVersion = "v1.32.0-kubestrap.0.1.0"
    public static let kubestrap = "0.1.0"
}
