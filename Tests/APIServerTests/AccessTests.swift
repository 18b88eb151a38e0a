@testable import APIServer
import KubeJSON
import Testing

@Suite struct AccessTests {
    @Test func anonymousOnlyReachesHealthAndVersion() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        for path in ["/healthz", "/livez", "/readyz", "/version"] {
            #expect(try await s.request("GET", path, user: .anonymous).status == 200, "\(path)")
        }
        for path in ["/api", "/api/v1/namespaces", "/metrics", "/openapi/v2"] {
            let r = try await s.request("GET", path, user: .anonymous)
            #expect(r.status == 401 && r.body["reason"]?.string == "Unauthorized", "\(path)")
        }
        let verbose = try await s.request("GET", "/readyz?verbose", user: .anonymous)
        #expect(verbose.text.contains("[+]etcd ok") && verbose.text.hasSuffix("readyz check passed\n"))
        // Single checks are for authenticated users (system:public-info-viewer covers only the endpoints).
        #expect(try await s.request("GET", "/livez/ping", user: .anonymous).status == 401)
        #expect(try await s.request("GET", "/livez/ping").text == "ok")
        #expect(try await s.request("GET", "/livez/nope").status == 404)
    }

    /// /version carries the build stamp (from the git checkout the binaries were built in) in upstream's forms.
    @Test func versionCarriesTheBuildStamp() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let version = try await s.request("GET", "/version", user: .anonymous).body
        let commit = version["gitCommit"]?.string ?? "?"
        #expect(commit.isEmpty || (commit.count == 40 && commit.allSatisfy(\.isHexDigit)), "\(commit)")
        #expect(["", "clean", "dirty"].contains(version["gitTreeState"]?.string ?? "?"))
        let date = version["buildDate"]?.string ?? "?"
        #expect(date.isEmpty || (date.count == 20 && date.hasSuffix("Z") && date.dropFirst(10).first == "T"), "\(date)")
        #expect(commit.isEmpty == date.isEmpty, "both come from the same checkout")
        #expect(version["gitVersion"]?.string?.hasPrefix("v1.32") == true && version["platform"]?.string?.hasPrefix("linux/") == true)
    }

    @Test func rbacDeniesWithUpstreamsMessageUntilABindingAllows() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let alice = UserInfo(name: "alice", groups: ["developers", "system:authenticated"])
        let denied = try await s.request("GET", "/api/v1/namespaces/default/pods", user: alice)
        #expect(denied.status == 403)
        #expect(denied.body["message"]?.string == #"pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default""#)
        let named = try await s.request("GET", "/api/v1/nodes/n1", user: alice)
        #expect(named.body["message"]?.string == #"nodes "n1" is forbidden: User "alice" cannot get resource "nodes" in API group "" at the cluster scope"#)
        let binding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "devs-view"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"],
            "subjects": [["kind": "Group", "name": "developers"]],
        ]
        #expect(try await s.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", binding).status == 201)
        try await eventually { try await s.request("GET", "/api/v1/namespaces/default/pods", user: alice).status == 200 }
        #expect(try await s.request("GET", "/api/v1/namespaces/kube-system/pods", user: alice).status == 403)
        let review: JSONValue = ["apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                                 "spec": ["resourceAttributes": ["verb": "list", "resource": "pods", "namespace": "default"]]]
        let answer = try await s.request("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review, user: alice)
        #expect(answer.status == 201 && answer.body[path: ["status", "allowed"]]?.bool == true)
    }

    @Test func nodesMayOnlyTouchWhatIsTheirs() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let n1 = UserInfo(name: "system:node:n1", groups: ["system:nodes", "system:authenticated"])
        let node: (String) -> JSONValue = { ["apiVersion": "v1", "kind": "Node", "metadata": ["name": .string($0)]] }
        #expect(try await s.request("POST", "/api/v1/nodes", node("n1"), user: n1).status == 201)
        let other = try await s.request("POST", "/api/v1/nodes", node("n2"), user: n1)
        #expect(other.status == 403 && other.body["message"]?.string == #"nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2""#)
        let plainPod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "x"],
                                   "spec": ["nodeName": "n1", "containers": [["name": "c", "image": "i"]]]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", plainPod, user: n1).status == 403)
        var mirror = plainPod
        mirror[path: ["metadata", "annotations"]] = ["kubernetes.io/config.mirror": "hash"]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", mirror, user: n1).status == 201)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/secrets", user: n1).status == 403)
    }
}
