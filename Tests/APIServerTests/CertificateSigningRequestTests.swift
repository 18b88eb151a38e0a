@testable import APIServer
import KubeJSON
import PKI
import Testing

/// certificates.k8s.io/v1 CertificateSigningRequests: upstream's strategy, validation and admission.
@Suite struct CertificateSigningRequestTests {
    static let path = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
    static let alice = UserInfo(name: "alice", uid: "alice-uid", groups: ["kubeadm:cluster-admins", "system:authenticated"])

    static func requestPEM(commonName: String = "alice", organizations: [String] = []) throws -> String {
        try CertificateIssuer.certificateRequest(commonName: commonName, organizations: organizations, key: try PrivateKey.generate(.ecdsaP256))
    }

    static func csr(_ name: String, pem: String, signer: String = "kubernetes.io/kube-apiserver-client",
                    usages: [String] = ["client auth"], expirationSeconds: Int64? = nil) -> JSONValue {
        var object: JSONValue = ["apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": ["name": .string(name)],
                                 "spec": ["request": .string(Base64.encode(Array(pem.utf8))), "signerName": .string(signer),
                                          "usages": .array(usages.map { .string($0) })]]
        if let expirationSeconds { object[path: ["spec", "expirationSeconds"]] = .int(expirationSeconds) }
        return object
    }

    static func messages(_ reply: TestServer.Reply) -> [String] {
        reply.body[path: ["details", "causes"]]?.array?.map { "\($0["field"]?.string ?? ""): \($0["message"]?.string ?? "")" } ?? []
    }

    @Test func createRecordsTheRequesterAndNothingElse() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var object = Self.csr("alice", pem: try Self.requestPEM())
        object[path: ["spec", "username"]] = "mallory"
        object[path: ["spec", "groups"]] = ["system:masters"]
        object["status"] = ["conditions": [["type": "Approved", "status": "True"]]]
        let made = try await s.request("POST", Self.path, object, user: Self.alice)
        #expect(made.status == 201, "\(made.text)")
        #expect(made.body[path: ["spec", "username"]]?.string == "alice")
        #expect(made.body[path: ["spec", "uid"]]?.string == "alice-uid")
        #expect(made.body[path: ["spec", "groups"]] == ["kubeadm:cluster-admins", "system:authenticated"])
        #expect(made.body["status"] == .emptyObject, "nobody creates a request already approved")

        // The object itself changes only its metadata: spec and status stay as stored.
        var edited = made.body
        edited[path: ["spec", "username"]] = "mallory"
        edited[path: ["spec", "usages"]] = ["server auth"]
        edited[path: ["metadata", "labels"]] = ["team": "a"]
        edited["status"] = ["conditions": [["type": "Approved", "status": "True"]]]
        let updated = try await s.request("PUT", Self.path + "/alice", edited)
        #expect(updated.status == 200, "\(updated.text)")
        #expect(updated.body[path: ["spec", "username"]]?.string == "alice")
        #expect(updated.body[path: ["spec", "usages"]] == ["client auth"])
        #expect(updated.body[path: ["metadata", "labels", "team"]]?.string == "a")
        #expect(updated.body[path: ["status", "conditions"]] == nil)
    }

    @Test func validationAnswersWithUpstreamsMessages() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let pem = try Self.requestPEM()
        let cases: [(JSONValue, String)] = [
            (Self.csr("a", pem: pem, usages: []), "spec.usages: Required value"),
            (Self.csr("b", pem: pem, usages: ["client auth", "flying"]),
             "spec.usages[1]: Unsupported value: \"flying\": supported values: " + KeyUsages.all.map { "\"\($0)\"" }.joined(separator: ", ")),
            (Self.csr("c", pem: pem, usages: ["client auth", "client auth"]), "spec.usages[1]: Duplicate value: \"client auth\""),
            (Self.csr("d", pem: pem, signer: ""), "spec.signerName: Required value"),
            (Self.csr("e", pem: pem, signer: "example"),
             "spec.signerName: Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name'"),
            (Self.csr("f", pem: pem, signer: "example/signer"),
             "spec.signerName: Invalid value: \"example\": should be a domain with at least two segments separated by dots"),
            (Self.csr("g", pem: pem, signer: "kubernetes.io/legacy-unknown"),
             "spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version"),
            (Self.csr("h", pem: pem, expirationSeconds: 599),
             "spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 600 seconds (10 minutes)"),
        ]
        for (object, message) in cases {
            let reply = try await s.request("POST", Self.path, object)
            #expect(reply.status == 422, "\(reply.text)")
            #expect(Self.messages(reply).contains(message), "\(message) not in \(Self.messages(reply))")
        }
        // Not a CSR: a certificate's PEM, and text with no PEM at all.
        let notCSR = Self.csr("i", pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        let refused = try await s.request("POST", Self.path, notCSR)
        #expect(refused.status == 422)
        #expect(refused.text.contains("spec.request: Invalid value: []byte{0x2d, 0x2d"), "\(refused.text.prefix(300))")
        #expect(refused.text.contains("PEM block type must be CERTIFICATE REQUEST"))
        var badBase64 = Self.csr("j", pem: pem)
        badBase64[path: ["spec", "request"]] = "not base64!"
        let undecodable = try await s.request("POST", Self.path, badBase64)
        #expect(undecodable.status == 400)
        #expect(undecodable.body["message"]?.string
                == "CertificateSigningRequest in version \"v1\" cannot be handled as a CertificateSigningRequest: illegal base64 data at input byte 3")
    }

    @Test func approvalSetsOnlyConditionsAndStatusOnlyTheRest() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let made = try await s.request("POST", Self.path, Self.csr("c1", pem: try Self.requestPEM()))
        #expect(made.status == 201)

        // /status may not approve.
        var approving = made.body
        approving["status"] = ["conditions": [["type": "Approved", "status": "True", "reason": "Me"]]]
        let viaStatus = try await s.request("PUT", Self.path + "/c1/status", approving)
        #expect(viaStatus.status == 422)
        #expect(Self.messages(viaStatus).contains("status.conditions: Forbidden: updates may not add a condition of type \"Approved\""))

        // Approved and Denied exclude each other.
        var both = made.body
        both["status"] = ["conditions": [["type": "Approved", "status": "True"], ["type": "Denied", "status": "True"]]]
        let conflicting = try await s.request("PUT", Self.path + "/c1/approval", both)
        #expect(conflicting.status == 422)
        #expect(Self.messages(conflicting).contains("status.conditions[1].type: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive"))

        // /approval: the conditions (with their times filled in), nothing else.
        approving["status"] = ["conditions": [["type": "Approved", "status": "True", "reason": "KubectlApprove"]],
                               "certificate": .string(Base64.encode(Array("junk".utf8)))]
        approving[path: ["spec", "signerName"]] = "example.com/other"
        let approved = try await s.request("PUT", Self.path + "/c1/approval", approving)
        #expect(approved.status == 200, "\(approved.text)")
        let condition = approved.body[path: ["status", "conditions"]]?.array?.first
        #expect(condition?["reason"]?.string == "KubectlApprove")
        #expect(condition?["lastUpdateTime"]?.string != nil && condition?["lastTransitionTime"]?.string != nil)
        #expect(approved.body[path: ["status", "certificate"]] == nil)
        #expect(approved.body[path: ["spec", "signerName"]]?.string == "kubernetes.io/kube-apiserver-client")

        // /status: a certificate must be PEM certificates; Approved is kept as stored.
        var issuing = approved.body
        issuing[path: ["status", "certificate"]] = .string(Base64.encode(Array("junk".utf8)))
        let junk = try await s.request("PUT", Self.path + "/c1/status", issuing)
        #expect(junk.status == 422)
        #expect(Self.messages(junk).contains("status.certificate: Invalid value: \"<certificate data>\": must contain at least one CERTIFICATE PEM block"))
        let ca = try CertificateIssuer.selfSignedCA(commonName: "ca", key: try PrivateKey.generate(.ecdsaP256), validity: 3600)
        issuing[path: ["status", "certificate"]] = .string(Base64.encode(Array(try ca.pem().utf8)))
        issuing[path: ["status", "conditions"]] = [["type": "Approved", "status": "True", "reason": "Rewritten"]]
        let issued = try await s.request("PUT", Self.path + "/c1/status", issuing)
        #expect(issued.status == 200, "\(issued.text)")
        #expect(issued.body[path: ["status", "conditions"]]?.array?.first?["reason"]?.string == "KubectlApprove")
        #expect(issued.body[path: ["status", "certificate"]] != nil)
        // Once issued, the certificate stays.
        var reissuing = issued.body
        let other = try CertificateIssuer.selfSignedCA(commonName: "other", key: try PrivateKey.generate(.ecdsaP256), validity: 3600)
        reissuing[path: ["status", "certificate"]] = .string(Base64.encode(Array(try other.pem().utf8)))
        let changed = try await s.request("PUT", Self.path + "/c1/status", reissuing)
        #expect(Self.messages(changed).contains("status.certificate: Forbidden: updates may not modify existing certificate content"))

        // kubectl get csr's columns.
        let table = try await s.request("GET", Self.path, accept: "application/json;as=Table;v=v1;g=meta.k8s.io")
        #expect(table.body["columnDefinitions"]?.array?.map { $0["name"]?.string ?? "" }
                == ["Name", "Age", "SignerName", "Requestor", "RequestedDuration", "Condition"])
        let cells = table.body["rows"]?.array?.first?["cells"]?.array ?? []
        #expect(cells.count == 6)
        #expect(cells.dropFirst(2) == ["kubernetes.io/kube-apiserver-client", "kubernetes-admin", "<none>", "Approved,Issued"])
    }

    @Test func approvingNeedsApproveOnTheSigner() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let bob = UserInfo(name: "bob", groups: ["system:authenticated"])
        let role: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": ["name": "csr-approval"],
                               "rules": [["apiGroups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests", "certificatesigningrequests/approval"],
                                          "verbs": ["get", "update"]]]]
        #expect(try await s.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", role).status == 201)
        for (name, roleName) in [("bob-approval", "csr-approval")] {
            let binding: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": ["name": .string(name)],
                                      "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": .string(roleName)],
                                      "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"]]]
            #expect(try await s.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding).status == 201)
        }
        var object = try await s.request("POST", Self.path, Self.csr("c2", pem: try Self.requestPEM())).body
        object["status"] = ["conditions": [["type": "Approved", "status": "True", "reason": "Bob"]]]
        try await eventually { try await s.request("GET", Self.path + "/c2", user: bob).status == 200 }
        let refused = try await s.request("PUT", Self.path + "/c2/approval", object, user: bob)
        #expect(refused.status == 403)
        #expect(refused.body["message"]?.string
                == "certificatesigningrequests.certificates.k8s.io \"c2\" is forbidden: user not permitted to approve requests with signerName \"kubernetes.io/kube-apiserver-client\"")
        // The bootstrap role for this signer is what it takes.
        let approver: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": ["name": "bob-approver"],
                                   "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                               "name": "system:certificates.k8s.io:kube-apiserver-client-approver"],
                                   "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "bob"]]]
        #expect(try await s.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", approver).status == 201)
        try await eventually { try await s.request("PUT", Self.path + "/c2/approval", object, user: bob).status == 200 }
    }

    @Test func systemMastersIsNotForTheClientSigner() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let reply = try await s.request("POST", Self.path, Self.csr("m", pem: try Self.requestPEM(commonName: "evil", organizations: ["system:masters"])))
        #expect(reply.status == 403)
        #expect(reply.body["message"]?.string
                == "certificatesigningrequests.certificates.k8s.io \"m\" is forbidden: use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed")
        let discovery = try await s.request("GET", "/apis/certificates.k8s.io/v1")
        let names = discovery.body["resources"]?.array?.compactMap { $0["name"]?.string } ?? []
        #expect(names == ["certificatesigningrequests", "certificatesigningrequests/status", "certificatesigningrequests/approval"])
        #expect(discovery.body["resources"]?.array?.first?["shortNames"] == ["csr"])
    }
}
