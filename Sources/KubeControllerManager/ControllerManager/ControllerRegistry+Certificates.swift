extension ControllerRegistry {
    /// csrsigning, csrapproving and csrcleaner: upstream's certificates controllers, all acting as
    /// `certificate-controller` (whose role may approve kubelet client requests and sign for the Kubernetes signers).
    static var certificates: [ControllerDescriptor] {
        [
            ControllerDescriptor(name: "csrsigning", serviceAccount: "certificate-controller") { CSRSigningController(context: $0) },
            ControllerDescriptor(name: "csrapproving", serviceAccount: "certificate-controller") { CSRApprovingController(context: $0) },
            ControllerDescriptor(name: "csrcleaner", serviceAccount: "certificate-controller") { CSRCleanerController(context: $0) },
        ]
    }
}
