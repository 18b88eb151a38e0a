import ControllerRuntime
import Crypto
import KubeAPI
import KubeClient
@testable import KubeControllerManager
import KubeJSON
import ServiceAccountToken
import Testing

/// The root-ca-cert-publisher, tokens and clusterrole-aggregation controllers on a fake API (moved from the
/// apiserver's tests when its in-process copies went).
@Suite struct ServiceAccountControllersTests {
    static let caPEM = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"

    static func harness(_ objects: [(ResourceType, JSONValue)], signingKey: String? = nil) -> ControllerHarness {
        var options = ControllerManagerOptions()
        options.rootCAPEM = caPEM
        options.serviceAccountSigningKeyPEM = signingKey
        return ControllerHarness(component: "test-controller", objects: objects, options: options)
    }

    @Test func theRootCAConfigMapIsPublishedDescribedAndRestored() async throws {
        let h = Self.harness([(.namespaces, ["metadata": ["name": "team"], "status": ["phase": "Active"]])])
        let task = h.run(RootCACertPublisher(context: h.context))
        let cm = { h.get(.configMaps, "kube-root-ca.crt", namespace: "team") }
        try await eventually("kube-root-ca.crt") { cm()?[path: ["data", "ca.crt"]]?.string == Self.caPEM }
        #expect(cm()?[path: ["metadata", "annotations", "kubernetes.io/description"]]?.string?.hasPrefix("Contains a CA bundle") == true)
        // Edited, it comes back as it was.
        _ = try await h.fake.retryUpdate(.configMaps, namespace: "team", name: "kube-root-ca.crt") { current in
            var next = current
            next["data"] = ["ca.crt": "tampered"]
            return next
        }
        try await eventually("the CA restored") { cm()?[path: ["data", "ca.crt"]]?.string == Self.caPEM }
        await h.stop(task)
    }

    @Test func legacyTokenSecretsAreFilledInAndGoWithTheirServiceAccount() async throws {
        let pem = P256.Signing.PrivateKey().pemRepresentation
        let robot: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "robot", "namespace": "default"]]
        let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                                 "metadata": ["name": "robot-token", "namespace": "default",
                                              "annotations": ["kubernetes.io/service-account.name": "robot"]]]
        let h = Self.harness([(.serviceAccounts, robot), (.secrets, secret)], signingKey: pem)
        let task = h.run(TokensController(context: h.context))
        var filled: JSONValue = .null
        try await eventually("the token filled in") {
            filled = h.get(.secrets, "robot-token") ?? .null
            return filled[path: ["data", "token"]] != nil
        }
        let sa = try #require(h.get(.serviceAccounts, "robot"))
        #expect(filled[path: ["data", "ca.crt"]]?.string.flatMap(Base64.decode) == Array(Self.caPEM.utf8))
        #expect(filled[path: ["data", "namespace"]]?.string == Base64.encode(Array("default".utf8)))
        #expect(filled[path: ["metadata", "annotations", "kubernetes.io/service-account.uid"]]?.string == sa.uid)
        // A legacy token of the service account, signed with the key the apiserver verifies with.
        let jwt = String(decoding: try #require(filled[path: ["data", "token"]]?.string.flatMap(Base64.decode)), as: UTF8.self)
        let key = try SigningKey(pem: pem, source: "sa.key")
        let validator = TokenValidator(keys: [key.publicKey], issuers: ["https://kubernetes.default.svc.cluster.local"], audiences: [])
        guard case .valid(let claims) = validator.validate(jwt, now: Int64(h.clock.now())) else {
            Issue.record("the filled-in token does not verify")
            await h.stop(task)
            return
        }
        #expect(claims.isLegacy && claims.subject == "system:serviceaccount:default:robot" && claims.secret?.name == "robot-token")

        try await h.fake.delete(.serviceAccounts, namespace: "default", name: "robot")
        try await eventually("the Secret gone with its service account") { h.get(.secrets, "robot-token") == nil }
        await h.stop(task)
    }

    static func clusterRole(_ name: String, labels: [String: String] = [:], rules: [JSONValue] = [], aggregatesFrom: String? = nil) -> JSONValue {
        var role: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                               "metadata": ["name": .string(name), "labels": JSONValue(labels)], "rules": .array(rules)]
        if let aggregatesFrom {
            role["aggregationRule"] = ["clusterRoleSelectors": [["matchLabels": [.init(stringLiteral: aggregatesFrom): "true"]]]]
        }
        return role
    }

    @Test func aggregatedRolesPickUpLabelledClusterRolesThroughViewEditAndAdmin() async throws {
        let aggregate = "rbac.authorization.k8s.io/aggregate-to-"
        let viewRule: JSONValue = ["apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]]
        let h = ControllerHarness(component: "clusterrole-aggregation-controller", objects: [
            (.clusterRoles, Self.clusterRole("admin", aggregatesFrom: aggregate + "admin")),
            (.clusterRoles, Self.clusterRole("edit", labels: [aggregate + "admin": "true"], aggregatesFrom: aggregate + "edit")),
            (.clusterRoles, Self.clusterRole("view", labels: [aggregate + "edit": "true"], aggregatesFrom: aggregate + "view")),
            (.clusterRoles, Self.clusterRole("system:aggregate-to-view", labels: [aggregate + "view": "true"], rules: [viewRule])),
        ])
        let task = h.run(ClusterRoleAggregationController(context: h.context))
        let rules = { (name: String) in h.get(.clusterRoles, name, namespace: "")?["rules"]?.array ?? [] }
        try await eventually("view, edit and admin aggregated") { ["view", "edit", "admin"].allSatisfy { rules($0) == [viewRule] } }

        // An operator's labelled role extends view, and so edit and admin.
        let crontabs: JSONValue = ["apiGroups": ["stable.example.com"], "resources": ["crontabs"], "verbs": ["get", "list", "watch"]]
        _ = try await h.fake.create(.clusterRoles, Self.clusterRole("crontab-viewer", labels: [aggregate + "view": "true"], rules: [crontabs]))
        try await eventually("the crontabs rule in admin") { rules("admin").contains(crontabs) && rules("view").contains(crontabs) }
        // Deleted, its rule goes again.
        try await h.fake.delete(.clusterRoles, name: "crontab-viewer")
        try await eventually("the crontabs rule gone") { ["view", "edit", "admin"].allSatisfy { rules($0) == [viewRule] } }
        await h.stop(task)
    }
}
