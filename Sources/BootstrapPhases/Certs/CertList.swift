import KubeadmAPI
import PKI

/// One certificate of kubeadm's PKI: its phase name, file base name, signing CA and what it says.
/// The table is data, so the phases, `certs renew` and `certs check-expiration` all come from it.
struct KubeadmCert: Sendable {
    /// Name used for the phase and in `check-expiration` (`etcd-server`).
    let name: String
    /// File name without extension, relative to the certificate folder (`etcd/server`).
    let baseName: String
    /// The `name` of the CA that signs it; nil for a CA.
    let caName: String?
    /// kubeadm's description, used in help and in `renew` output.
    let longName: String
    /// Whether kubeadm prints the "serving cert is signed for…" line for it.
    let isServing: Bool
    /// The control-plane component to restart after the certificate is renewed.
    var consumer: String? = nil
    let request: @Sendable (InitSettings) -> CertificateRequest

    var isCA: Bool { caName == nil }
}

enum KubeadmCertList {
    static let ca = KubeadmCert(name: "ca", baseName: "ca", caName: nil,
                                longName: "self-signed Kubernetes CA to provision identities for other Kubernetes components",
                                isServing: false, request: { _ in CertificateRequest(commonName: "kubernetes", usages: []) })
    static let frontProxyCA = KubeadmCert(name: "front-proxy-ca", baseName: "front-proxy-ca", caName: nil,
                                          longName: "self-signed CA to provision identities for front proxy",
                                          isServing: false, request: { _ in CertificateRequest(commonName: "front-proxy-ca", usages: []) })
    static let etcdCA = KubeadmCert(name: "etcd-ca", baseName: "etcd/ca", caName: nil,
                                    longName: "self-signed CA to provision identities for etcd",
                                    isServing: false, request: { _ in CertificateRequest(commonName: "etcd-ca", usages: []) })

    /// Every certificate, CAs before the leaves they sign, in the order kubeadm generates them.
    static let all: [KubeadmCert] = [
        ca,
        KubeadmCert(name: "apiserver", baseName: "apiserver", caName: "ca",
                    longName: "certificate for serving the Kubernetes API", isServing: true, consumer: "kube-apiserver",
                    request: { s in CertificateRequest(commonName: "kube-apiserver", altNames: s.apiServerAltNames(), usages: [.serverAuth]) }),
        KubeadmCert(name: "apiserver-kubelet-client", baseName: "apiserver-kubelet-client", caName: "ca",
                    longName: "certificate for the API server to connect to kubelet", isServing: false, consumer: "kube-apiserver",
                    request: { _ in CertificateRequest(commonName: "kube-apiserver-kubelet-client", organizations: ["system:masters"], usages: [.clientAuth]) }),
        frontProxyCA,
        KubeadmCert(name: "front-proxy-client", baseName: "front-proxy-client", caName: "front-proxy-ca",
                    longName: "certificate for the front proxy client", isServing: false, consumer: "kube-apiserver",
                    request: { _ in CertificateRequest(commonName: "front-proxy-client", usages: [.clientAuth]) }),
        etcdCA,
        KubeadmCert(name: "etcd-server", baseName: "etcd/server", caName: "etcd-ca",
                    longName: "certificate for serving etcd", isServing: true, consumer: "etcd",
                    request: { s in CertificateRequest(commonName: s.nodeName, altNames: s.etcdAltNames(extra: s.etcdServerCertSANs), usages: [.serverAuth, .clientAuth]) }),
        KubeadmCert(name: "etcd-peer", baseName: "etcd/peer", caName: "etcd-ca",
                    longName: "certificate for etcd nodes to communicate with each other", isServing: true, consumer: "etcd",
                    request: { s in CertificateRequest(commonName: s.nodeName, altNames: s.etcdAltNames(extra: s.etcdPeerCertSANs), usages: [.serverAuth, .clientAuth]) }),
        KubeadmCert(name: "etcd-healthcheck-client", baseName: "etcd/healthcheck-client", caName: "etcd-ca",
                    longName: "certificate for liveness probes to healthcheck etcd", isServing: false, consumer: "etcd",
                    request: { _ in CertificateRequest(commonName: "kube-etcd-healthcheck-client", organizations: ["system:masters"], usages: [.clientAuth]) }),
        KubeadmCert(name: "apiserver-etcd-client", baseName: "apiserver-etcd-client", caName: "etcd-ca",
                    longName: "certificate the apiserver uses to access etcd", isServing: false, consumer: "kube-apiserver",
                    request: { _ in CertificateRequest(commonName: "kube-apiserver-etcd-client", organizations: ["system:masters"], usages: [.clientAuth]) }),
    ]

    static func named(_ name: String) -> KubeadmCert? { all.first { $0.name == name } }
    static var leaves: [KubeadmCert] { all.filter { !$0.isCA } }
    static var authorities: [KubeadmCert] { all.filter(\.isCA) }
}
