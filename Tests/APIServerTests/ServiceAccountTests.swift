@testable import APIServer
import Crypto
import Foundation
import KubeJSON
import ServiceAccountToken
import Testing

/// Service accounts inside one apiserver: tokens issued, authenticated and invalidated, the reviews, impersonation and
/// the ServiceAccount admission plugin. (The controllers that make service accounts, root CA ConfigMaps and legacy
/// token Secrets: ControllerManagerTests' ServiceAccountControllersTests.)
@Suite struct ServiceAccountTests {
    static let issuer = "https://kubernetes.default.svc.cluster.local"

    static func start() async throws -> TestServer {
        try await TestServer.start { options in
            let key = try SigningKey(pem: P256.Signing.PrivateKey().pemRepresentation, source: "sa.key")
            options.serviceAccountTokens = ServiceAccountTokenSettings(issuers: [issuer], signingKey: key,
                                                                       verificationKeys: [key.publicKey], apiAudiences: [])
        }
    }

    static func namespace(_ name: String) -> JSONValue { ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]] }
    static func serviceAccount(_ name: String) -> JSONValue { ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": .string(name)]] }
    static func pod(_ name: String, serviceAccount: String? = nil) -> JSONValue {
        var pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name)],
                              "spec": ["containers": [["name": "c", "image": "busybox"]]]]
        if let serviceAccount { pod[path: ["spec", "serviceAccountName"]] = .string(serviceAccount) }
        return pod
    }

    func token(_ s: TestServer, _ ns: String, _ sa: String, _ spec: JSONValue = .emptyObject) async throws -> TestServer.Reply {
        try await s.request("POST", "/api/v1/namespaces/\(ns)/serviceaccounts/\(sa)/token",
                            ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec])
    }

    func user(_ s: TestServer, bearer token: String) async -> UserInfo? {
        await s.api.authenticateBearer("Bearer \(token)")
    }

    @Test func tokenRequestsFollowUpstreamsDefaultsAndLimits() async throws {
        let s = try await Self.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("GET", "/api/v1/namespaces/default/serviceaccounts/default").status == 200)
        let before = Timestamp.now()
        let issued = try await token(s, "default", "default")
        let after = Timestamp.now()
        #expect(issued.status == 201, "\(issued.text)")
        #expect(issued.body["kind"]?.string == "TokenRequest" && issued.body["apiVersion"]?.string == "authentication.k8s.io/v1")
        #expect(issued.body[path: ["spec", "audiences"]] == [.string(Self.issuer)])
        #expect(issued.body[path: ["spec", "expirationSeconds"]]?.int == 3600)
        let expires = try #require(issued.body[path: ["status", "expirationTimestamp"]]?.string.flatMap(Timestamp.parse))
        // An hour from when the server handled it, which lies between before and after (seconds precision); a loaded
        // machine can take seconds to answer, so the window is bounded by the request itself.
        #expect(expires >= (before + 3600).rounded(.down) - 1 && expires <= after + 3600 + 1)
        let jwt = try #require(issued.body[path: ["status", "token"]]?.string)
        let sa = try #require(await user(s, bearer: jwt))
        #expect(sa.name == "system:serviceaccount:default:default")
        #expect(sa.groups == ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"])
        #expect(sa.extra["authentication.kubernetes.io/credential-id"]?.first?.hasPrefix("JTI=") == true)
        // The service account may not do much by default.
        let denied = try await s.request("GET", "/api/v1/namespaces/default/pods", user: sa)
        #expect(denied.status == 403)
        #expect(denied.body["message"]?.string == #"pods is forbidden: User "system:serviceaccount:default:default" cannot list resource "pods" in API group "" in the namespace "default""#)

        let short = try await token(s, "default", "default", ["expirationSeconds": 60])
        #expect(short.status == 422)
        #expect(short.body["message"]?.string == #"TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes"#)
        let missing = try await token(s, "default", "nope")
        #expect(missing.status == 404 && missing.body["message"]?.string == #"serviceaccounts "nope" not found"#)
        let other = try await token(s, "default", "default", ["audiences": ["vault"]])
        let otherToken = try #require(other.body[path: ["status", "token"]]?.string)
        #expect(await user(s, bearer: otherToken) == nil, "a token for another audience is not for this apiserver")
        #expect(try await s.request("GET", "/api/v1/namespaces/default/serviceaccounts/default/token").status == 405)

        // Deleting the service account ends its tokens, also once a new one of the same name exists (as the
        // serviceaccount controller makes it again).
        #expect(try await s.request("DELETE", "/api/v1/namespaces/default/serviceaccounts/default").status == 200)
        #expect(await user(s, bearer: jwt) == nil)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/serviceaccounts", Self.serviceAccount("default")).status == 201)
        #expect(await user(s, bearer: jwt) == nil)
    }

    @Test func podBoundTokensLiveAsLongAsThePod() async throws {
        let s = try await Self.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", "/api/v1/namespaces/default/serviceaccounts", Self.serviceAccount("builder")).status == 201)
        let pod = try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("job", serviceAccount: "builder"))
        #expect(pod.status == 201, "\(pod.text)")
        let wrongSA = try await token(s, "default", "default", ["boundObjectRef": ["kind": "Pod", "apiVersion": "v1", "name": "job"]])
        #expect(wrongSA.status == 400)
        #expect(wrongSA.body["message"]?.string == #"cannot bind token for serviceaccount "default" to pod running with different serviceaccount name."#)
        let staleUID = try await token(s, "default", "builder", ["boundObjectRef": ["kind": "Pod", "apiVersion": "v1", "name": "job", "uid": "0000"]])
        #expect(staleUID.status == 409)
        #expect(staleUID.body["message"]?.string?.contains("the UID in the bound object reference (0000) does not match the UID in record") == true)
        let notAKind = try await token(s, "default", "builder", ["boundObjectRef": ["kind": "Deployment", "apiVersion": "apps/v1", "name": "x"]])
        #expect(notAKind.status == 400 && notAKind.body["message"]?.string == "cannot bind token to object of type apps/v1, Kind=Deployment")

        let bound = try await token(s, "default", "builder", ["boundObjectRef": ["kind": "Pod", "apiVersion": "v1", "name": "job"]])
        let jwt = try #require(bound.body[path: ["status", "token"]]?.string)
        let user = try #require(await user(s, bearer: jwt))
        #expect(user.extra["authentication.kubernetes.io/pod-name"] == ["job"])
        #expect(user.extra["authentication.kubernetes.io/pod-uid"] == [pod.body.metaUID])
        #expect(try await s.request("DELETE", "/api/v1/namespaces/default/pods/job?gracePeriodSeconds=0").status == 200)
        #expect(await self.user(s, bearer: jwt) == nil)
    }

    @Test func reviewsSayWhoATokenAndTheRequestorAre() async throws {
        let s = try await Self.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("GET", "/api/v1/namespaces/default/serviceaccounts/default").status == 200)
        let whoami = try await s.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                                         ["apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"])
        #expect(whoami.status == 201)
        #expect(whoami.body[path: ["status", "userInfo"]] == ["username": "kubernetes-admin", "groups": ["kubeadm:cluster-admins", "system:authenticated"]])
        let jwt = try #require(try await token(s, "default", "default").body[path: ["status", "token"]]?.string)
        let review = try await s.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                         ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": ["token": .string(jwt)]])
        #expect(review.status == 201 && review.body[path: ["status", "authenticated"]]?.bool == true)
        #expect(review.body[path: ["status", "user", "username"]]?.string == "system:serviceaccount:default:default")
        #expect(review.body[path: ["status", "audiences"]] == [.string(Self.issuer)])
        let bogus = try await s.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                        ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": ["token": "nonsense"]])
        #expect(bogus.body[path: ["status", "authenticated"]] == nil && bogus.body[path: ["status", "user"]] == .emptyObject)
        // A token asked about for an audience it was not issued for.
        let elsewhere = try await s.request("POST", "/apis/authentication.k8s.io/v1/tokenreviews",
                                            ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview",
                                             "spec": ["token": .string(jwt), "audiences": ["vault"]]])
        #expect(elsewhere.body[path: ["status", "error"]]?.string?.hasPrefix(#"token audiences ["https://kubernetes.default.svc.cluster.local"] is invalid"#) == true)
        // Discovery lists the group and the token subresource.
        let group = try await s.request("GET", "/apis/authentication.k8s.io/v1").body
        #expect(group["resources"]?.array?.compactMap { $0["name"]?.string }.sorted() == ["selfsubjectreviews", "tokenreviews"])
        let core = try await s.request("GET", "/api/v1").body["resources"]?.array ?? []
        #expect(core.contains { $0["name"] == "serviceaccounts/token" && $0["kind"] == "TokenRequest" && $0["group"] == "authentication.k8s.io" })
    }

    @Test func impersonationIsAuthorizedPartByPart() async throws {
        let s = try await Self.start()
        defer { Task { await s.stop() } }
        let alice = UserInfo(name: "alice", groups: ["system:authenticated"])
        let asBob: [(String, String)] = [("Impersonate-User", "bob")]
        let refused = try await s.request("GET", "/api/v1/namespaces/default/pods", user: alice, headers: asBob)
        #expect(refused.status == 403)
        #expect(refused.body["message"]?.string == #"users "bob" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope"#)
        // An admin may: the request is then bob's, and bob may not list pods.
        let asBobByAdmin = try await s.request("GET", "/api/v1/namespaces/default/pods", headers: asBob)
        #expect(asBobByAdmin.body["message"]?.string == #"pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default""#)
        let who = try await s.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", ["kind": "SelfSubjectReview"],
                                      headers: [("Impersonate-User", "bob"), ("Impersonate-Group", "devs"), ("Impersonate-Extra-Scopes", "view")])
        #expect(who.body[path: ["status", "userInfo"]] == ["username": "bob", "groups": ["devs", "system:authenticated"], "extra": ["scopes": ["view"]]])
        // A service account's groups follow from its name.
        let sa = try await s.request("POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews", ["kind": "SelfSubjectReview"],
                                     headers: [("Impersonate-User", "system:serviceaccount:dev:ci")])
        #expect(sa.body[path: ["status", "userInfo", "groups"]] == ["system:serviceaccounts", "system:serviceaccounts:dev", "system:authenticated"])
        let groupOnly = try await s.request("GET", "/api/v1/namespaces", headers: [("Impersonate-Group", "devs")])
        #expect(groupOnly.status == 400)
        // edit in a namespace includes impersonating its service accounts (and no one else).
        #expect(try await s.request("POST", "/api/v1/namespaces", Self.namespace("dev")).status == 201)
        let binding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "alice-edit"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"],
            "subjects": [["kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"]],
        ]
        #expect(try await s.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings", binding).status == 201)
        let asCI: [(String, String)] = [("Impersonate-User", "system:serviceaccount:dev:ci")]
        try await eventually {
            try await s.request("GET", "/api/v1/namespaces/dev/pods", user: alice, headers: asCI).body["message"]?.string
                == #"pods is forbidden: User "system:serviceaccount:dev:ci" cannot list resource "pods" in API group "" in the namespace "dev""#
        }
        let outside = try await s.request("GET", "/api/v1/namespaces/dev/pods", user: alice,
                                          headers: [("Impersonate-User", "system:serviceaccount:default:default")])
        #expect(outside.body["message"]?.string == #"serviceaccounts "default" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "default""#)
    }

    /// A legacy token Secret as kube-controller-manager's tokens controller fills it in: its token authenticates
    /// while the Secret holds it and the service account it names exists.
    @Test func legacyTokenSecretsAuthenticateWhileTheirSecretAndServiceAccountLast() async throws {
        let s = try await Self.start()
        defer { Task { await s.stop() } }
        let made = try await s.request("POST", "/api/v1/namespaces/default/serviceaccounts", Self.serviceAccount("robot"))
        #expect(made.status == 201)
        let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                                 "metadata": ["name": "robot-token", "annotations": ["kubernetes.io/service-account.name": "robot"]]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/secrets", secret).status == 201)
        let key = try #require(s.api.options.serviceAccountTokens?.signingKey)
        let claims = ServiceAccountClaims.legacy(namespace: "default", serviceAccount: .init(name: "robot", uid: made.body.metaUID),
                                                 secretName: "robot-token")
        let jwt = try key.sign(claims: claims.json)
        #expect(await user(s, bearer: jwt) == nil, "not the Secret's token yet")
        func fill() async throws {
            let filled = try await s.request("PATCH", "/api/v1/namespaces/default/secrets/robot-token", [
                "metadata": ["annotations": ["kubernetes.io/service-account.uid": .string(made.body.metaUID)]],
                "data": ["token": .string(Base64.encode(Array(jwt.utf8))), "namespace": .string(Base64.encode(Array("default".utf8)))],
            ], contentType: "application/merge-patch+json")
            #expect(filled.status == 200, "\(filled.text)")
        }
        try await fill()
        #expect(await user(s, bearer: jwt)?.name == "system:serviceaccount:default:robot")

        // Without the annotation the Secret is invalid.
        var unnamed = secret
        unnamed[path: ["metadata"]] = ["name": "orphan"]
        let invalid = try await s.request("POST", "/api/v1/namespaces/default/secrets", unnamed)
        #expect(invalid.status == 422 && invalid.body["message"]?.string?.contains("metadata.annotations[kubernetes.io/service-account.name]: Required value") == true)
        // The Secret's deletion ends the token; so does the service account's (the tokens controller then deletes
        // the Secret).
        #expect(try await s.request("DELETE", "/api/v1/namespaces/default/secrets/robot-token").status == 200)
        #expect(await user(s, bearer: jwt) == nil)
        #expect(try await s.request("POST", "/api/v1/namespaces/default/secrets", secret).status == 201)
        try await fill()
        #expect(await user(s, bearer: jwt)?.name == "system:serviceaccount:default:robot")
        #expect(try await s.request("DELETE", "/api/v1/namespaces/default/serviceaccounts/robot").status == 200)
        #expect(await user(s, bearer: jwt) == nil)
    }

    @Test func podsNeedTheirServiceAccountAndMountItsToken() async throws {
        let s = try await Self.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("web"))
        #expect(created.status == 201, "\(created.text)")
        let spec = created.body["spec"] ?? .null
        #expect(spec["serviceAccountName"]?.string == "default")
        let volume = try #require(spec["volumes"]?.array?.first)
        let volumeName = try #require(volume["name"]?.string)
        #expect(volumeName.hasPrefix("kube-api-access-") && volumeName.count == "kube-api-access-".count + 5)
        #expect(volume[path: ["projected", "sources"]]?.array?.count == 3)
        #expect(volume[path: ["projected", "defaultMode"]]?.int == 420)
        #expect(spec[path: ["containers"]]?.array?.first?["volumeMounts"]
            == [["name": .string(volumeName), "readOnly": true, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"]])

        var optedOut = Self.pod("quiet")
        optedOut[path: ["spec", "automountServiceAccountToken"]] = false
        let quiet = try await s.request("POST", "/api/v1/namespaces/default/pods", optedOut)
        #expect(quiet.status == 201 && quiet.body[path: ["spec", "volumes"]] == nil)

        let missing = try await s.request("POST", "/api/v1/namespaces/default/pods", Self.pod("lost", serviceAccount: "ghost"))
        #expect(missing.status == 403)
        #expect(missing.body["message"]?.string == #"pods "lost" is forbidden: error looking up service account default/ghost: serviceaccount "ghost" not found"#)
    }

    @Test func issuerDiscoveryPublishesTheKeysToServiceAccounts() async throws {
        let s = try await Self.start()
        defer { Task { await s.stop() } }
        let sa = UserInfo(name: "system:serviceaccount:default:default",
                          groups: ["system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"])
        let config = try await s.request("GET", "/.well-known/openid-configuration", user: sa)
        #expect(config.status == 200, "\(config.text)")
        #expect(config.body["issuer"]?.string == Self.issuer)
        #expect(config.body["jwks_uri"]?.string == "https://127.0.0.1:6443/openid/v1/jwks")
        #expect(config.body["id_token_signing_alg_values_supported"] == ["ES256"])
        let jwks = try await s.request("GET", "/openid/v1/jwks", user: sa)
        #expect(jwks.headers.contains { $0.0 == "content-type" && $0.1 == "application/jwk-set+json" })
        #expect(jwks.body["keys"]?.array?.first?["kid"]?.string == s.api.options.serviceAccountTokens?.signingKey?.publicKey.keyID)
        #expect(try await s.request("GET", "/openid/v1/jwks", user: .anonymous).status == 401)
    }
}
