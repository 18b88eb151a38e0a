import KubeAPI
import KubeJSON
import ServiceAccountToken

/// `POST /api/v1/namespaces/<ns>/serviceaccounts/<name>/token` (`kubectl create token`): an authentication.k8s.io/v1
/// TokenRequest in, the same with `status.token` and `status.expirationTimestamp` out, with upstream's defaults
/// (an hour, the apiserver's audiences), limits (10 minutes to 2^32 seconds, `--service-account-max-token-expiration`)
/// and binding to a Pod, Secret or Node that must exist (and match a given UID).
extension APIServer {
    static let tokenRequestKind = "TokenRequest"

    func tokenRequest(_ request: APIRequest, _ info: RequestInfo) async throws -> APIResponse {
        guard let settings = options.serviceAccountTokens, let signingKey = settings.signingKey,
              let issuer = settings.issuers.first else {
            // As upstream without --service-account-signing-key-file: the subresource is not served.
            throw StatusError.notFoundPath()
        }
        let name = info.name
        let namespace = info.namespace
        var body = try BodyDecoder.decode(request.body, contentType: request.header("content-type"), kind: Self.tokenRequestKind)
        guard body.object != nil else { throw StatusError.badRequest("the body of the request must be a TokenRequest object") }
        func invalid(_ name: String, _ error: FieldError) -> StatusError {
            StatusError.invalid(kind: Self.tokenRequestKind, group: "authentication.k8s.io", name: name, [error])
        }
        if let n = body.metaName.nonEmpty, n != name {
            throw invalid(name, .invalid("metadata.name", n, "must match the service account name if specified"))
        }
        if let ns = body.metaNamespace.nonEmpty, ns != namespace {
            throw invalid(name, .invalid("metadata.namespace", ns, "must match the service account namespace if specified"))
        }
        var spec = body["spec"] ?? .emptyObject
        var expirationSeconds: Int64 = 3600
        if let value = spec["expirationSeconds"], !value.isNull {
            guard let n = value.int else { throw StatusError.badRequest("spec.expirationSeconds: expected an integer, got \(value.typeName)") }
            expirationSeconds = n
        }
        // Upstream names no object in these two (the request's validation runs before the name is known).
        if expirationSeconds < 600 {
            throw invalid("", .invalid("spec.expirationSeconds", number: expirationSeconds, "may not specify a duration less than 10 minutes"))
        }
        if expirationSeconds > 1 << 32 {
            throw invalid("", .invalid("spec.expirationSeconds", number: expirationSeconds, "may not specify a duration larger than 2^32 seconds"))
        }
        var audiences = spec["audiences"]?.array?.compactMap(\.string) ?? []
        if audiences.isEmpty { audiences = settings.apiAudiences }

        let reader = StoredObjects(storage: storage)
        guard let sa = try await reader.object("serviceaccounts", namespace: namespace, name: name) else {
            throw StatusError.notFound(GroupResource(group: "", resource: "serviceaccounts"), name)
        }
        let now = Int64(Timestamp.now())
        var claims = ServiceAccountClaims.bound(issuer: issuer, audiences: audiences, namespace: namespace,
                                                serviceAccount: .init(name: name, uid: sa.metaUID), now: now,
                                                expirationSeconds: expirationSeconds, id: RandomNames.uuid())
        if let ref = spec["boundObjectRef"], !ref.isNull {
            try await bind(&claims, to: ref, serviceAccount: name, namespace: namespace, reader: reader)
        }
        var warnings: [String] = []
        if let max = settings.maxExpirationSeconds, max > 0, expirationSeconds > max {
            warnings.append("requested expiration of \(expirationSeconds) seconds shortened to \(max) seconds")
            expirationSeconds = max
        }
        claims.expiry = now + expirationSeconds
        if settings.extendExpiration, claims.pod != nil, expirationSeconds == ServiceAccountTokenSettings.warnOnlyExpirationSeconds,
           audiences.allSatisfy(settings.apiAudiences.contains) {
            claims.warnAfter = now + expirationSeconds
            claims.expiry = now + ServiceAccountTokenSettings.extendedExpirationSeconds
        }
        let token = try signingKey.sign(claims: claims.json)
        logger.debug("issued a service account token", metadata: [
            "serviceaccount": "\(namespace)/\(name)", "jti": "\(claims.id ?? "")", "requestor": "\(request.user.name)"])

        spec["audiences"] = .array(audiences.map { .string($0) })
        spec["expirationSeconds"] = .int(expirationSeconds)
        if spec["boundObjectRef"] == nil { spec["boundObjectRef"] = .null }
        body["apiVersion"] = "authentication.k8s.io/v1"
        body["kind"] = .string(Self.tokenRequestKind)
        body["metadata"] = ["name": .string(name), "namespace": .string(namespace), "creationTimestamp": .string(Timestamp.format(Double(now)))]
        body["spec"] = spec
        body["status"] = ["token": .string(token), "expirationTimestamp": .string(Timestamp.format(Double(now + expirationSeconds)))]
        var response = APIResponse.json(body, status: 201)
        for w in warnings { response.headers.append(("warning", "299 - \"\(w)\"")) }
        return response
    }

    /// `spec.boundObjectRef`: the token is valid only while that object exists (with that UID).
    private func bind(_ claims: inout ServiceAccountClaims, to ref: JSONValue, serviceAccount: String, namespace: String,
                      reader: StoredObjects) async throws {
        let kind = ref["kind"]?.string ?? ""
        let apiVersion = ref["apiVersion"]?.string ?? ""
        let objectName = ref["name"]?.string ?? ""
        let group = apiVersion.contains("/") ? String(apiVersion.split(separator: "/")[0]) : ""
        let version = apiVersion.split(separator: "/").last.map(String.init) ?? ""
        let resource: String
        switch (group, kind) {
        case ("", "Pod"): resource = "pods"
        case ("", "Secret"): resource = "secrets"
        case ("", "Node"): resource = "nodes"
        default: throw StatusError.badRequest("cannot bind token to object of type \(group)/\(version), Kind=\(kind)")
        }
        let scope = resource == "nodes" ? "" : namespace
        guard let object = try await reader.object(resource, namespace: scope, name: objectName) else {
            throw StatusError.notFound(GroupResource(group: "", resource: resource), objectName)
        }
        let uid = object.metaUID
        if let wanted = ref["uid"]?.string, !wanted.isEmpty, wanted != uid {
            throw StatusError.conflict(GroupResource(group: "", resource: kind), objectName,
                                       "the UID in the bound object reference (\(wanted)) does not match the UID in record. The object might have been deleted and then recreated")
        }
        let bound = ServiceAccountClaims.ObjectRef(name: objectName, uid: uid)
        switch resource {
        case "pods":
            guard object[path: ["spec", "serviceAccountName"]]?.string == serviceAccount else {
                throw StatusError.badRequest("cannot bind token for serviceaccount \"\(serviceAccount)\" to pod running with different serviceaccount name.")
            }
            claims.pod = bound
            // The pod's node goes into the token for information (name, and UID when the Node exists).
            if let nodeName = object[path: ["spec", "nodeName"]]?.string, !nodeName.isEmpty {
                let node = try await reader.object("nodes", namespace: "", name: nodeName)
                claims.node = .init(name: nodeName, uid: node?.metaUID ?? "")
            }
        case "secrets": claims.secret = bound
        default: claims.node = bound
        }
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
