import KubeAPI
import PKI

/// What each Kubernetes signer agrees to sign (upstream's signer.go and certificates helpers): a request it does not
/// accept gets a `Failed` condition with the reason as message instead of a certificate.
enum SignerPolicy {
    static let signers = [CertificateSigningRequest.kubeAPIServerClientSignerName,
                          CertificateSigningRequest.kubeAPIServerClientKubeletSignerName,
                          CertificateSigningRequest.kubeletServingSignerName,
                          CertificateSigningRequest.legacyUnknownSignerName]

    struct Rejection: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// nil when `signerName`'s signer accepts the request.
    static func rejection(signerName: String, request: ParsedCertificateRequest, usages: [String]) -> Rejection? {
        switch signerName {
        case CertificateSigningRequest.kubeletServingSignerName: return kubeletServing(request, Set(usages))
        case CertificateSigningRequest.kubeAPIServerClientKubeletSignerName: return kubeletClient(request, Set(usages))
        case CertificateSigningRequest.kubeAPIServerClientSignerName: return apiServerClient(usages)
        default: return nil   // legacy-unknown: no restriction, as upstream keeps it for v1beta1's requests.
        }
    }

    static let kubeletServingUsages: Set<String> = ["digital signature", "key encipherment", "server auth"]
    static let kubeletClientUsages: Set<String> = ["digital signature", "key encipherment", "client auth"]

    static func kubeletServing(_ request: ParsedCertificateRequest, _ usages: Set<String>) -> Rejection? {
        if request.organizations != ["system:nodes"] { return Rejection("subject organization is not system:nodes") }
        if request.dnsNames.isEmpty, request.ipAddresses.isEmpty { return Rejection("DNS or IP subjectAltName is required") }
        if !request.emailAddresses.isEmpty { return Rejection("Email subjectAltNames are not allowed") }
        if !request.uris.isEmpty { return Rejection("URI subjectAltNames are not allowed") }
        if usages != kubeletServingUsages, usages != kubeletServingUsages.subtracting(["key encipherment"]) {
            return Rejection("usages did not match [\(kubeletServingUsages.sorted().joined(separator: " "))]")
        }
        if !request.commonName.hasPrefix("system:node:") { return Rejection("subject common name does not begin with system:node:") }
        return nil
    }

    static func kubeletClient(_ request: ParsedCertificateRequest, _ usages: Set<String>) -> Rejection? {
        if request.organizations != ["system:nodes"] { return Rejection("subject organization is not system:nodes") }
        if !request.dnsNames.isEmpty { return Rejection("DNS subjectAltNames are not allowed") }
        if !request.emailAddresses.isEmpty { return Rejection("Email subjectAltNames are not allowed") }
        if !request.ipAddresses.isEmpty { return Rejection("IP subjectAltNames are not allowed") }
        if !request.uris.isEmpty { return Rejection("URI subjectAltNames are not allowed") }
        if !request.commonName.hasPrefix("system:node:") { return Rejection("subject common name does not begin with system:node:") }
        if usages != kubeletClientUsages, usages != kubeletClientUsages.subtracting(["key encipherment"]) {
            return Rejection("usages did not match [\(kubeletClientUsages.sorted().joined(separator: " "))]")
        }
        return nil
    }

    static func apiServerClient(_ usages: [String]) -> Rejection? {
        var hasClientAuth = false
        for usage in usages {
            switch usage {
            case "digital signature", "key encipherment": continue
            case "client auth": hasClientAuth = true
            default: return Rejection("invalid usage for client certificate: \(usage)")
            }
        }
        return hasClientAuth ? nil : Rejection("missing required usage for client certificate: client auth")
    }

    /// The validity to sign for: `--cluster-signing-duration`, or the request's expirationSeconds when shorter, but
    /// never under 10 minutes (twice the five minutes certificates are backdated).
    static func duration(expirationSeconds: Int32?, maximum: Double) -> Double {
        guard let expirationSeconds else { return maximum }
        let requested = Double(expirationSeconds)
        if requested > maximum { return maximum }
        return max(requested, 600)
    }
}
