import KubeAPI
import KubeJSON
import PKI

/// What the certificates admission plugins share: the resource they guard and upstream's signer authorization
/// (`IsAuthorizedForSignerName`): the verb on `signers` in certificates.k8s.io named for the signer, or for its
/// domain's wildcard (`kubernetes.io/*`).
enum CertificateSigners {
    static func isCSR(_ resource: ResourceDefinition) -> Bool {
        resource.group == "certificates.k8s.io" && resource.resource == "certificatesigningrequests"
    }

    static func isAuthorized(_ authorizer: any Authorizer, user: UserInfo, verb: String, signerName: String) async -> Bool {
        let domain = signerName.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        for name in [signerName, domain + "/*"] {
            var attributes = AuthorizationAttributes(user: user, verb: verb, isResourceRequest: true)
            attributes.apiGroup = "certificates.k8s.io"
            attributes.apiVersion = "*"
            attributes.resource = "signers"
            attributes.name = name
            if await authorizer.authorize(attributes) == .allow { return true }
        }
        return false
    }

    static func forbidden(_ object: JSONValue, _ why: String) -> StatusError {
        let resource = GroupResource(group: "certificates.k8s.io", resource: "certificatesigningrequests")
        return .forbidden("\(resource) \"\(object.metaName)\" is forbidden: \(why)", resource: resource, name: object.metaName)
    }
}

/// CertificateApproval: approving or denying (`/approval`) needs `approve` on the request's signer, judged on the
/// stored object, so that a signer name changed in the same write gains nothing.
struct CertificateApproval: AdmissionPlugin {
    let authorizer: any Authorizer
    var name: String { "CertificateApproval" }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .update, context.subresource == "approval", CertificateSigners.isCSR(resource), let old else { return }
        let signer = old[path: ["spec", "signerName"]]?.string ?? ""
        guard await CertificateSigners.isAuthorized(authorizer, user: context.user, verb: "approve", signerName: signer) else {
            throw CertificateSigners.forbidden(old, "user not permitted to approve requests with signerName \"\(signer)\"")
        }
    }
}

/// CertificateSigning: a `/status` write that changes the certificate needs `sign` on the request's signer.
struct CertificateSigning: AdmissionPlugin {
    let authorizer: any Authorizer
    var name: String { "CertificateSigning" }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .update, context.subresource == "status", CertificateSigners.isCSR(resource), let old,
              old[path: ["status", "certificate"]] != object[path: ["status", "certificate"]] else { return }
        let signer = old[path: ["spec", "signerName"]]?.string ?? ""
        guard await CertificateSigners.isAuthorized(authorizer, user: context.user, verb: "sign", signerName: signer) else {
            throw CertificateSigners.forbidden(old, "user not permitted to sign requests with signerName \"\(signer)\"")
        }
    }
}

/// CertificateSubjectRestriction: no request to the kube-apiserver-client signer may ask for the system:masters group.
struct CertificateSubjectRestriction: AdmissionPlugin {
    var name: String { "CertificateSubjectRestriction" }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        let signer = CertificateSigningRequest.kubeAPIServerClientSignerName
        guard operation == .create, context.subresource.isEmpty, CertificateSigners.isCSR(resource),
              object[path: ["spec", "signerName"]]?.string == signer else { return }
        // Upstream validates before this plugin runs: a request that does not parse is validation's 422, not a 403.
        guard let parsed = try? ParsedCertificateRequest(pem: Base64.decode(object[path: ["spec", "request"]]?.string ?? "") ?? []) else {
            return
        }
        if parsed.organizations.contains("system:masters") {
            throw CertificateSigners.forbidden(object, "use of \(signer) signer with system:masters group is not allowed")
        }
    }
}

/// spec.request and status.certificate are Go []byte fields: text that is not base64 does not decode, a 400 with
/// the position Go's decoder reports. (Checked where the body is whole, before validation reads the bytes.)
struct CertificateSigningRequestBytes: AdmissionPlugin {
    var name: String { "CertificateSigningRequestBytes" }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation != .delete, CertificateSigners.isCSR(resource) else { return }
        for path in [["spec", "request"], ["status", "certificate"]] {
            guard let text = object[path: path]?.string, Base64.decode(text) == nil, text != old?[path: path]?.string else { continue }
            throw StatusError.badRequest("CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: "
                                         + "illegal base64 data at input byte \(Self.firstIllegalByte(text))")
        }
    }

    /// Where Go's base64 decoder stops: the first byte outside the alphabet, else where the padding goes wrong.
    static func firstIllegalByte(_ text: String) -> Int {
        let bytes = Array(text.utf8)
        func inAlphabet(_ c: UInt8) -> Bool {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: "/")
        }
        if let bad = bytes.firstIndex(where: { !inAlphabet($0) && $0 != UInt8(ascii: "=") && $0 != 10 && $0 != 13 }) { return bad }
        if let pad = bytes.firstIndex(of: UInt8(ascii: "=")) { return pad }
        return bytes.count - bytes.count % 4
    }
}
