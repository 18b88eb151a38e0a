import ControllerRuntime
import Foundation
@testable import KubeControllerManager
import KubeAPI
import KubeClient
import KubeJSON
import PKI
import Synchronization
import Testing
import X509

/// csrsigning, csrapproving and csrcleaner against the fake client.
@Suite struct CertificateControllersTests {
    struct Fixture {
        let caKey: PrivateKey
        let ca: PKICertificate
        var pair: SigningKeyPair { get throws { SigningKeyPair(certificatePEM: try ca.pem(), keyPEM: try caKey.pem()) } }

        init() throws {
            caKey = try PrivateKey.generate(.ecdsaP256)
            ca = try CertificateIssuer.selfSignedCA(commonName: "kubernetes", key: caKey, validity: 10 * 365 * 86400)
        }
    }

    static func csr(_ name: String, commonName: String, organizations: [String] = [], signer: String, usages: [String],
                    username: String = "kubernetes-admin", groups: [String] = ["system:authenticated"], expirationSeconds: Int64? = nil,
                    approved: Bool = false) throws -> JSONValue {
        let pem = try CertificateIssuer.certificateRequest(commonName: commonName, organizations: organizations,
                                                           key: try PrivateKey.generate(.ecdsaP256))
        var object: JSONValue = ["apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest", "metadata": ["name": .string(name)],
                                 "spec": ["request": .string(Base64.encode(Array(pem.utf8))), "signerName": .string(signer),
                                          "usages": .array(usages.map { .string($0) }), "username": .string(username),
                                          "groups": .array(groups.map { .string($0) })],
                                 "status": .emptyObject]
        if let expirationSeconds { object[path: ["spec", "expirationSeconds"]] = .int(expirationSeconds) }
        if approved {
            object["status"] = ["conditions": [["type": "Approved", "status": "True", "reason": "KubectlApprove",
                                                "lastUpdateTime": "2026-01-01T00:00:00Z"]]]
        }
        return object
    }

    static func certificate(_ csr: JSONValue?) throws -> PKICertificate? {
        guard let text = csr?[path: ["status", "certificate"]]?.string, let pem = Base64.decode(text) else { return nil }
        return try PKICertificate(pem: String(decoding: pem, as: UTF8.self))
    }

    @Test func approvedRequestsAreSignedWithTheirUsagesAndDuration() async throws {
        let f = try Fixture()
        var options = ControllerManagerOptions()
        for signer in SignerPolicy.signers { options.signingAuthorities[signer] = try f.pair }
        options.clusterSigningDuration = 86400
        let client = "kubernetes.io/kube-apiserver-client"
        let h = ControllerHarness(component: "csrsigning", objects: [
            (.certificateSigningRequests, try Self.csr("short", commonName: "alice", organizations: ["devs"], signer: client,
                                                       usages: ["client auth", "digital signature"], expirationSeconds: 3600, approved: true)),
            (.certificateSigningRequests, try Self.csr("long", commonName: "bob", signer: client, usages: ["client auth"],
                                                       expirationSeconds: 10 * 86400, approved: true)),
            (.certificateSigningRequests, try Self.csr("pending", commonName: "carol", signer: client, usages: ["client auth"])),
            (.certificateSigningRequests, try Self.csr("elsewhere", commonName: "dan", signer: "example.com/signer",
                                                       usages: ["client auth"], approved: true)),
            (.certificateSigningRequests, try Self.csr("server", commonName: "eve", signer: client, usages: ["server auth"], approved: true)),
            (.certificateSigningRequests, try Self.csr("node", commonName: "system:node:n1", organizations: ["devs"],
                                                       signer: "kubernetes.io/kube-apiserver-client-kubelet",
                                                       usages: ["client auth", "digital signature"], approved: true)),
        ], options: options)
        let task = h.run(CSRSigningController(context: h.context))
        let now = h.clock.now()
        try await eventually("both signed") {
            try Self.certificate(h.get(.certificateSigningRequests, "short")) != nil
                && Self.certificate(h.get(.certificateSigningRequests, "long")) != nil
        }
        let short = try #require(try Self.certificate(h.get(.certificateSigningRequests, "short")))
        #expect(short.isSigned(by: f.ca))
        #expect(short.commonName == "alice")
        #expect(short.organizations == ["devs"])
        #expect(short.extendedUsages == [.clientAuth])
        let keyUsage = try #require(try short.certificate.extensions.keyUsage)
        #expect(keyUsage.digitalSignature && !keyUsage.keyEncipherment)
        #expect(try short.certificate.extensions.basicConstraints == .notCertificateAuthority)
        // Short-lived (under 8 h): valid from five minutes back to exactly the hour asked for.
        #expect(short.notBefore.timeIntervalSince1970 == (now - 300).rounded(.down))
        #expect(short.notAfter.timeIntervalSince1970 == (now + 3600).rounded(.down))
        // Ten days asked, one allowed by --cluster-signing-duration, less the backdate.
        let long = try #require(try Self.certificate(h.get(.certificateSigningRequests, "long")))
        #expect(long.notAfter.timeIntervalSince1970 == (now + 86400 - 300).rounded(.down))

        // The client signer refuses server auth; the kubelet client signer wants O=system:nodes.
        try await eventually("failed conditions") {
            h.get(.certificateSigningRequests, "server")?.trueCondition("Failed") != nil
                && h.get(.certificateSigningRequests, "node")?.trueCondition("Failed") != nil
        }
        let failed = h.get(.certificateSigningRequests, "server")?.trueCondition("Failed")
        #expect(failed?["reason"]?.string == "SignerValidationFailure")
        #expect(failed?["message"]?.string == "invalid usage for client certificate: server auth")
        #expect(h.get(.certificateSigningRequests, "node")?.trueCondition("Failed")?["message"]?.string == "subject organization is not system:nodes")
        #expect(h.get(.certificateSigningRequests, "server")?[path: ["status", "certificate"]] == nil)
        #expect(h.get(.certificateSigningRequests, "server")?.trueCondition("Approved") != nil, "the approval stays")
        // Pending, and other signers' requests, are not touched.
        let touched = Set(h.fake.actions.filter { $0.verb == "update" }.map(\.name))
        #expect(touched == ["short", "long", "server", "node"])
        await h.stop(task)
    }

    @Test func signingPolicies() throws {
        func parsed(_ cn: String, _ o: [String], dns: [String] = []) throws -> ParsedCertificateRequest {
            let pem = try CertificateIssuer.certificateRequest(commonName: cn, organizations: o, altNames: AltNames(dnsNames: dns),
                                                               key: try PrivateKey.generate(.ecdsaP256))
            return try ParsedCertificateRequest(pem: Array(pem.utf8))
        }
        let kubelet = KubeAPI.CertificateSigningRequest.kubeAPIServerClientKubeletSignerName
        let serving = KubeAPI.CertificateSigningRequest.kubeletServingSignerName
        #expect(SignerPolicy.rejection(signerName: kubelet, request: try parsed("system:node:n1", ["system:nodes"]),
                                       usages: ["digital signature", "client auth"]) == nil)
        #expect(SignerPolicy.rejection(signerName: kubelet, request: try parsed("system:node:n1", ["system:nodes"]),
                                       usages: ["key encipherment", "digital signature", "client auth"]) == nil)
        #expect(SignerPolicy.rejection(signerName: kubelet, request: try parsed("n1", ["system:nodes"]),
                                       usages: ["digital signature", "client auth"])?.description
                == "subject common name does not begin with system:node:")
        #expect(SignerPolicy.rejection(signerName: kubelet, request: try parsed("system:node:n1", ["system:nodes"]),
                                       usages: ["client auth"])?.description == "usages did not match [client auth digital signature key encipherment]")
        #expect(SignerPolicy.rejection(signerName: kubelet, request: try parsed("system:node:n1", ["system:nodes"], dns: ["n1"]),
                                       usages: ["digital signature", "client auth"])?.description == "DNS subjectAltNames are not allowed")
        #expect(SignerPolicy.rejection(signerName: serving, request: try parsed("system:node:n1", ["system:nodes"]),
                                       usages: ["digital signature", "server auth"])?.description == "DNS or IP subjectAltName is required")
        #expect(SignerPolicy.rejection(signerName: serving, request: try parsed("system:node:n1", ["system:nodes"], dns: ["n1"]),
                                       usages: ["digital signature", "key encipherment", "server auth"]) == nil)
        #expect(SignerPolicy.rejection(signerName: KubeAPI.CertificateSigningRequest.kubeAPIServerClientSignerName, request: try parsed("x", []),
                                       usages: ["digital signature"])?.description == "missing required usage for client certificate: client auth")
        #expect(SignerPolicy.duration(expirationSeconds: nil, maximum: 31_536_000) == 31_536_000)
        #expect(SignerPolicy.duration(expirationSeconds: 60, maximum: 31_536_000) == 600)
        #expect(SignerPolicy.duration(expirationSeconds: 7200, maximum: 31_536_000) == 7200)
    }

    @Test func nodeClientRequestsAreApprovedAfterASubjectAccessReview() async throws {
        let kubelet = KubeAPI.CertificateSigningRequest.kubeAPIServerClientKubeletSignerName
        let nodeUsages = ["digital signature", "key encipherment", "client auth"]
        let h = ControllerHarness(component: "csrapproving", objects: [
            (.certificateSigningRequests, try Self.csr("bootstrap", commonName: "system:node:foo", organizations: ["system:nodes"], signer: kubelet,
                                                       usages: nodeUsages, username: "system:bootstrap:abcdef",
                                                       groups: ["system:bootstrappers", "system:authenticated"])),
            (.certificateSigningRequests, try Self.csr("renewal", commonName: "system:node:bar", organizations: ["system:nodes"], signer: kubelet,
                                                       usages: nodeUsages, username: "system:node:bar", groups: ["system:nodes", "system:authenticated"])),
            (.certificateSigningRequests, try Self.csr("stranger", commonName: "system:node:baz", organizations: ["system:nodes"], signer: kubelet,
                                                       usages: nodeUsages, username: "mallory")),
            (.certificateSigningRequests, try Self.csr("client", commonName: "alice", signer: "kubernetes.io/kube-apiserver-client",
                                                       usages: ["client auth"])),
        ])
        let reviews = Mutex<[JSONValue]>([])
        // RBAC as kubeadm binds it: bootstrappers may use nodeclient, nodes selfnodeclient.
        h.fake.onCreate(.subjectAccessReviews) { review in
            reviews.withLock { $0.append(review) }
            let spec = review["spec"] ?? .null
            let groups = spec["groups"]?.array?.compactMap(\.string) ?? []
            let sub = spec[path: ["resourceAttributes", "subresource"]]?.string
            let allowed = (sub == "nodeclient" && groups.contains("system:bootstrappers")) || (sub == "selfnodeclient" && groups.contains("system:nodes"))
            var answer = review
            answer["status"] = ["allowed": .bool(allowed)]
            return answer
        }
        let task = h.run(CSRApprovingController(context: h.context))
        try await eventually("two approved") {
            h.get(.certificateSigningRequests, "bootstrap")?.trueCondition("Approved") != nil
                && h.get(.certificateSigningRequests, "renewal")?.trueCondition("Approved") != nil
        }
        let bootstrap = h.get(.certificateSigningRequests, "bootstrap")?.trueCondition("Approved")
        #expect(bootstrap?["reason"]?.string == "AutoApproved")
        #expect(bootstrap?["message"]?.string == "Auto approving kubelet client certificate after SubjectAccessReview.")
        #expect(h.get(.certificateSigningRequests, "renewal")?.trueCondition("Approved")?["message"]?.string
                == "Auto approving self kubelet client certificate after SubjectAccessReview.")
        // The stranger is asked about (and retried) but never approved; the plain client request is not a node's.
        try await eventually("the stranger reviewed") {
            reviews.withLock { $0.contains { $0[path: ["spec", "user"]]?.string == "mallory" } }
        }
        #expect(h.get(.certificateSigningRequests, "stranger")?[path: ["status", "conditions"]] == nil)
        #expect(h.get(.certificateSigningRequests, "client")?[path: ["status", "conditions"]] == nil)
        let asked = reviews.withLock { $0 }
        #expect(!asked.contains { $0[path: ["spec", "user"]]?.string == "kubernetes-admin" })
        let first = try #require(asked.first { $0[path: ["spec", "user"]]?.string == "system:bootstrap:abcdef" })
        #expect(first[path: ["spec", "resourceAttributes"]] == ["group": "certificates.k8s.io", "version": "*", "resource": "certificatesigningrequests",
                                                                "subresource": "nodeclient", "verb": "create"])
        #expect(h.fake.actions.contains { $0.verb == "update" && $0.subresource == "approval" && $0.name == "bootstrap" })
        await h.stop(task)
    }

    @Test func cleanerDeletesWhatHasServedItsPurpose() throws {
        let now = try #require(RFC3339.parse("2026-06-01T12:00:00Z")).timeIntervalSince1970
        func csr(_ conditions: [CertificateSigningRequestCondition], issued: Bool = false) -> KubeAPI.CertificateSigningRequest {
            var csr = KubeAPI.CertificateSigningRequest()
            csr.status.conditions = conditions
            if issued { csr.status.certificate = "x" }
            return csr
        }
        let twoHoursAgo = "2026-06-01T10:00:00Z", justNow = "2026-06-01T11:59:00Z"
        #expect(CSRCleanerController.reason(csr([.init(type: "Approved", status: "True", lastUpdateTime: twoHoursAgo)], issued: true),
                                            creationTimestamp: twoHoursAgo, now: now) == "it is more than 1h0m0s old and approved")
        #expect(CSRCleanerController.reason(csr([.init(type: "Approved", status: "True", lastUpdateTime: justNow)], issued: true),
                                            creationTimestamp: twoHoursAgo, now: now) == nil)
        #expect(CSRCleanerController.reason(csr([.init(type: "Approved", status: "True", lastUpdateTime: twoHoursAgo)]),
                                            creationTimestamp: twoHoursAgo, now: now) == nil, "approved, not yet issued: kept")
        #expect(CSRCleanerController.reason(csr([.init(type: "Denied", status: "True", lastUpdateTime: twoHoursAgo)]),
                                            creationTimestamp: twoHoursAgo, now: now) == "it is more than 1h0m0s old and denied")
        #expect(CSRCleanerController.reason(csr([]), creationTimestamp: "2026-05-31T11:00:00Z", now: now)
                == "it is more than 24h0m0s old and unhandled")
        #expect(CSRCleanerController.reason(csr([]), creationTimestamp: twoHoursAgo, now: now) == nil)
    }
}
