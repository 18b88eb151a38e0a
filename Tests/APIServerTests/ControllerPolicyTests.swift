@testable import APIServer
import KubeJSON
import Testing

/// The bootstrap policy grants what kube-controller-manager (as each controller's service account, kubeadm's
/// --use-service-account-credentials=true) and kube-scheduler do, and nothing that upstream's roles refuse.
@Suite struct ControllerPolicyTests {
    static func controller(_ name: String) -> (String, [String]) {
        ("system:serviceaccount:kube-system:\(name)", ["system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"])
    }
    static let scheduler = ("system:kube-scheduler", ["system:authenticated"])
    static let manager = ("system:kube-controller-manager", ["system:authenticated"])

    struct Case: CustomStringConvertible {
        var who: (String, [String])
        var verb: String
        var group = ""
        var resource: String
        var subresource = ""
        var namespace = "default"
        var name = ""
        var allowed: Bool
        var description: String { "\(who.0) \(verb) \(group)/\(resource)/\(subresource) \(name) in \(namespace)" }
    }

    static let cases: [Case] = [
        Case(who: controller("deployment-controller"), verb: "create", group: "apps", resource: "replicasets", allowed: true),
        Case(who: controller("deployment-controller"), verb: "update", group: "apps", resource: "deployments", subresource: "status", allowed: true),
        Case(who: controller("deployment-controller"), verb: "create", resource: "pods", allowed: false),
        Case(who: controller("replicaset-controller"), verb: "create", resource: "pods", allowed: true),
        Case(who: controller("replicaset-controller"), verb: "update", group: "apps", resource: "replicasets", subresource: "status", allowed: true),
        Case(who: controller("replicaset-controller"), verb: "delete", group: "apps", resource: "replicasets", allowed: false),
        Case(who: controller("job-controller"), verb: "update", group: "batch", resource: "jobs", subresource: "status", allowed: true),
        Case(who: controller("namespace-controller"), verb: "deletecollection", group: "apps", resource: "deployments", allowed: true),
        Case(who: controller("namespace-controller"), verb: "update", resource: "namespaces", subresource: "finalize", namespace: "", allowed: true),
        Case(who: controller("generic-garbage-collector"), verb: "delete", group: "batch", resource: "jobs", allowed: true),
        Case(who: controller("endpointslice-controller"), verb: "create", group: "discovery.k8s.io", resource: "endpointslices", allowed: true),
        Case(who: controller("root-ca-cert-publisher"), verb: "create", resource: "configmaps", allowed: true),
        Case(who: controller("root-ca-cert-publisher"), verb: "delete", resource: "configmaps", allowed: false),
        Case(who: controller("service-account-controller"), verb: "create", resource: "serviceaccounts", allowed: true),
        Case(who: controller("node-controller"), verb: "patch", resource: "nodes", subresource: "status", namespace: "", allowed: true),
        Case(who: controller("certificate-controller"), verb: "sign", group: "certificates.k8s.io", resource: "signers", namespace: "",
             name: "kubernetes.io/kube-apiserver-client", allowed: true),
        Case(who: controller("certificate-controller"), verb: "sign", group: "certificates.k8s.io", resource: "signers", namespace: "",
             name: "example.com/other", allowed: false),
        Case(who: controller("statefulset-controller"), verb: "create", group: "apps", resource: "controllerrevisions", allowed: true),
        Case(who: controller("ttl-after-finished-controller"), verb: "delete", group: "batch", resource: "jobs", allowed: true),
        Case(who: controller("token-cleaner"), verb: "delete", resource: "secrets", namespace: "kube-system", allowed: true),
        Case(who: controller("token-cleaner"), verb: "delete", resource: "secrets", namespace: "default", allowed: false),
        Case(who: controller("bootstrap-signer"), verb: "update", resource: "configmaps", namespace: "kube-public", name: "cluster-info", allowed: true),
        Case(who: controller("no-such-controller"), verb: "create", resource: "pods", allowed: false),
        Case(who: scheduler, verb: "create", resource: "pods", subresource: "binding", allowed: true),
        Case(who: scheduler, verb: "patch", resource: "pods", subresource: "status", allowed: true),
        Case(who: scheduler, verb: "delete", resource: "pods", allowed: true),
        Case(who: scheduler, verb: "create", resource: "pods", allowed: false),
        Case(who: scheduler, verb: "watch", group: "storage.k8s.io", resource: "csistoragecapacities", allowed: true),
        Case(who: scheduler, verb: "list", group: "storage.k8s.io", resource: "storageclasses", namespace: "", allowed: true),
        Case(who: scheduler, verb: "list", group: "policy", resource: "poddisruptionbudgets", allowed: true),
        Case(who: scheduler, verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system",
             name: "kube-scheduler", allowed: true),
        Case(who: scheduler, verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system",
             name: "kube-controller-manager", allowed: false),
        Case(who: scheduler, verb: "patch", group: "events.k8s.io", resource: "events", allowed: true),
        Case(who: scheduler, verb: "get", resource: "configmaps", namespace: "kube-system", name: "extension-apiserver-authentication", allowed: true),
        Case(who: manager, verb: "create", resource: "serviceaccounts", subresource: "token", namespace: "kube-system", allowed: true),
        Case(who: manager, verb: "create", resource: "serviceaccounts", namespace: "kube-system", allowed: true),
        Case(who: manager, verb: "get", resource: "serviceaccounts", namespace: "kube-system", allowed: true),
        Case(who: manager, verb: "update", group: "coordination.k8s.io", resource: "leases", namespace: "kube-system",
             name: "kube-controller-manager", allowed: true),
        Case(who: manager, verb: "watch", group: "apps", resource: "deployments", allowed: true),
        Case(who: manager, verb: "create", resource: "pods", allowed: false),
    ]

    @Test func subjectAccessReviewsFollowUpstreamsRoles() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        // RBAC learns the bootstrap policy through its watch; the last binding written is a controller's.
        try await eventually { try await Self.review(s, Self.cases[0]) }
        for c in Self.cases {
            #expect(try await Self.review(s, c) == c.allowed, "\(c)")
        }
    }

    @Test func controllerAccountsActThroughTheirRoles() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let rsController = Self.user(Self.controller("replicaset-controller"))
        let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web-1"],
                              "spec": ["containers": [["name": "c", "image": "nginx"]]]]
        try await eventually { try await s.request("POST", "/api/v1/namespaces/default/pods", pod, user: rsController).status == 201 }
        let binding: JSONValue = ["apiVersion": "v1", "kind": "Binding", "metadata": ["name": "web-1"],
                                  "target": ["apiVersion": "v1", "kind": "Node", "name": "n1"]]
        let bind = try await s.request("POST", "/api/v1/namespaces/default/pods/web-1/binding", binding, user: Self.user(Self.scheduler))
        #expect(bind.status == 201, "\(bind.text)")
        let denied = try await s.request("DELETE", "/api/v1/namespaces/default/pods/web-1", user: Self.user(Self.controller("deployment-controller")))
        #expect(denied.status == 403)
    }

    /// A role written by an older release gains the rules it lacks on the next start; what an admin added stays.
    @Test func restartReconcilesAutoupdatedRolesAdditively() async throws {
        let s = try await TestServer.start()
        let path = "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:kube-scheduler"
        var role = try await s.request("GET", path).body
        let extra = BootstrapPolicy.rule(["get"], resources: ["configmaps"])
        role["rules"] = [BootstrapPolicy.rule(["get"], resources: ["nodes"]), extra]
        #expect(try await s.request("PUT", path, role).status == 200)
        let restarted = try await s.restarted()
        defer { Task { await restarted.stop() } }
        let rules = try await restarted.request("GET", path).body["rules"]?.array ?? []
        #expect(rules.contains(extra))
        let wanted = BootstrapPolicy.clusterRoles.first { $0.metaName == "system:kube-scheduler" }?["rules"]?.array ?? []
        #expect(!wanted.isEmpty && wanted.allSatisfy { w in rules.contains { PolicyRuleCover.covers($0, w) } })
        try await eventually { try await Self.review(restarted, Self.Case(who: Self.scheduler, verb: "create", resource: "pods",
                                                                          subresource: "binding", allowed: true)) }
    }

    static func user(_ who: (String, [String])) -> UserInfo { UserInfo(name: who.0, groups: who.1) }

    static func review(_ s: TestServer, _ c: Case) async throws -> Bool {
        var attributes: JSONValue = ["verb": .string(c.verb), "group": .string(c.group), "resource": .string(c.resource)]
        if !c.subresource.isEmpty { attributes["subresource"] = .string(c.subresource) }
        if !c.namespace.isEmpty { attributes["namespace"] = .string(c.namespace) }
        if !c.name.isEmpty { attributes["name"] = .string(c.name) }
        let review: JSONValue = ["apiVersion": "authorization.k8s.io/v1", "kind": "SubjectAccessReview",
                                 "spec": ["user": .string(c.who.0), "groups": .array(c.who.1.map { .string($0) }),
                                          "resourceAttributes": attributes]]
        let answer = try await s.request("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
        guard answer.status == 201 else { throw TestFailure("SubjectAccessReview answered \(answer.status): \(answer.text)") }
        return answer.body[path: ["status", "allowed"]]?.bool == true
    }
}
