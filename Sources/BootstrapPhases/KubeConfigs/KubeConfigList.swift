import KubeadmAPI

/// One kubeconfig file kubeadm writes: who it authenticates as and which API server URL it uses.
struct KubeConfigSpec: Sendable {
    /// Phase name (`controller-manager`).
    let name: String
    /// File name in the kubeconfig folder (`controller-manager.conf`).
    let fileName: String
    let short: String
    let longName: String
    let userName: @Sendable (InitSettings) -> String
    let organizations: [String]
    /// admin, super-admin and kubelet talk to the control-plane endpoint; the components to their local API server.
    let usesControlPlaneEndpoint: Bool
    /// The component to restart after its certificate is renewed.
    let consumer: String?

    func server(_ settings: InitSettings) -> String {
        usesControlPlaneEndpoint ? settings.controlPlaneURL : settings.localAPIServerURL
    }
}

enum KubeConfigList {
    static let all: [KubeConfigSpec] = [
        KubeConfigSpec(name: "admin", fileName: "admin.conf",
                       short: "Generate a kubeconfig file for the admin to use and for kubeadm itself",
                       longName: "certificate embedded in the kubeconfig file for the admin to use and for kubeadm itself",
                       userName: { _ in "kubernetes-admin" }, organizations: ["kubeadm:cluster-admins"],
                       usesControlPlaneEndpoint: true, consumer: nil),
        KubeConfigSpec(name: "super-admin", fileName: "super-admin.conf",
                       short: "Generate a kubeconfig file for the super-admin",
                       longName: "certificate embedded in the kubeconfig file for the super-admin",
                       userName: { _ in "kubernetes-super-admin" }, organizations: ["system:masters"],
                       usesControlPlaneEndpoint: true, consumer: nil),
        KubeConfigSpec(name: "kubelet", fileName: "kubelet.conf",
                       short: "Generate a kubeconfig file for the kubelet to use *only* for cluster bootstrapping purposes",
                       longName: "certificate embedded in the kubeconfig file for the kubelet to use",
                       userName: { "system:node:\($0.nodeName)" }, organizations: ["system:nodes"],
                       usesControlPlaneEndpoint: true, consumer: "kubelet"),
        KubeConfigSpec(name: "controller-manager", fileName: "controller-manager.conf",
                       short: "Generate a kubeconfig file for the controller manager to use",
                       longName: "certificate embedded in the kubeconfig file for the controller manager to use",
                       userName: { _ in "system:kube-controller-manager" }, organizations: [],
                       usesControlPlaneEndpoint: false, consumer: "kube-controller-manager"),
        KubeConfigSpec(name: "scheduler", fileName: "scheduler.conf",
                       short: "Generate a kubeconfig file for the scheduler to use",
                       longName: "certificate embedded in the kubeconfig file for the scheduler manager to use",
                       userName: { _ in "system:kube-scheduler" }, organizations: [],
                       usesControlPlaneEndpoint: false, consumer: "kube-scheduler"),
    ]

    static func named(fileName: String) -> KubeConfigSpec? { all.first { $0.fileName == fileName } }
}
