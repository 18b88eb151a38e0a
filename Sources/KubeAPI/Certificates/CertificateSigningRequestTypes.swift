/// certificates.k8s.io/v1 CertificateSigningRequest: what the csrsigning, csrapproving and csrcleaner controllers
/// read and write of one. `request` and `certificate` are Go []byte fields: base64 text in JSON.
public struct CertificateSigningRequest: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var kind: String?
    @GoValue public var metadata: ObjectMeta = .goZero
    @GoValue public var spec: CertificateSigningRequestSpec = .goZero
    @OmitEmpty public var status: CertificateSigningRequestStatus = .goZero

    public init() {}

    /// The signer names Kubernetes defines (certificates/v1's constants).
    public static let kubeAPIServerClientSignerName = "kubernetes.io/kube-apiserver-client"
    public static let kubeAPIServerClientKubeletSignerName = "kubernetes.io/kube-apiserver-client-kubelet"
    public static let kubeletServingSignerName = "kubernetes.io/kubelet-serving"
    public static let legacyUnknownSignerName = "kubernetes.io/legacy-unknown"
}

public struct CertificateSigningRequestSpec: Codable, Sendable, Equatable, GoZeroValue {
    /// Base64 of the PEM text.
    @GoValue public var request: String = ""
    @GoValue public var signerName: String = ""
    public var expirationSeconds: Int32?
    @OmitEmpty public var usages: [String] = []
    @OmitEmpty public var username: String = ""
    @OmitEmpty public var uid: String = ""
    @OmitEmpty public var groups: [String] = []
    @OmitEmpty public var extra: [String: [String]] = [:]

    public init() {}
    public static var goZero: CertificateSigningRequestSpec { .init() }
}

public struct CertificateSigningRequestStatus: Codable, Sendable, Equatable, GoZeroValue {
    @OmitEmpty public var conditions: [CertificateSigningRequestCondition] = []
    /// Base64 of the PEM certificate chain; empty until issued.
    @OmitEmpty public var certificate: String = ""

    public init() {}
    public static var goZero: CertificateSigningRequestStatus { .init() }

    /// upstream's GetCertApprovalCondition.
    public var isApproved: Bool { conditions.contains { $0.type == "Approved" } }
    public var isDenied: Bool { conditions.contains { $0.type == "Denied" } }
    /// A condition of `type` with status True (Failed, as the signer checks it).
    public func hasTrueCondition(_ type: String) -> Bool { conditions.contains { $0.type == type && $0.status == "True" } }
}

public struct CertificateSigningRequestCondition: Codable, Sendable, Equatable {
    @GoValue public var type: String = ""
    @GoValue public var status: String = ""
    @OmitEmpty public var reason: String = ""
    @OmitEmpty public var message: String = ""
    public var lastUpdateTime: String?
    public var lastTransitionTime: String?

    public init(type: String, status: String, reason: String = "", message: String = "", lastUpdateTime: String? = nil,
                lastTransitionTime: String? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.lastUpdateTime = lastUpdateTime
        self.lastTransitionTime = lastTransitionTime
    }
}
