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
        // A mirror pod may not reach other objects (the Node authorizer's graph would let the node read them).
        var reaching = mirror
        reaching[path: ["metadata", "name"]] = "y"
        reaching[path: ["spec", "volumes"]] = [["name": "s", "secret": ["secretName": "anything"]]]
        let refused = try await s.request("POST", "/api/v1/namespaces/default/pods", reaching, user: n1)
        #expect(refused.status == 403 && refused.body["message"]?.string == #"pods "y" is forbidden: node "n1" can not create pods that reference secrets"#)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/secrets", user: n1).status == 403)
    }

    /// The Node authorizer's graph: a node reaches the Secrets, ConfigMaps, claims, volumes and service account
    /// tokens of the pods bound to it, by name only, and loses them when the pods go.
    @Test func nodesReadOnlyWhatTheirPodsReference() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let n1 = UserInfo(name: "system:node:n1", groups: ["system:nodes", "system:authenticated"])
        let n2 = UserInfo(name: "system:node:n2", groups: ["system:nodes", "system:authenticated"])
        for name in ["referenced", "from-env", "unrelated"] {
            let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "metadata": ["name": .string(name)], "stringData": ["k": "v"]]
            #expect(try await s.request("POST", "/api/v1/namespaces/default/secrets", secret).status == 201)
        }
        let config: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "settings"], "data": ["k": "v"]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps", config).status == 201)
        let volume: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolume", "metadata": ["name": "pv1"],
                                 "spec": ["capacity": ["storage": "1Gi"], "accessModes": ["ReadWriteOnce"], "hostPath": ["path": "/tmp/pv1"]]]
        #expect(try await s.request("POST", "/api/v1/persistentvolumes", volume).status == 201)
        let claim: JSONValue = ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": ["name": "data"],
                                "spec": ["accessModes": ["ReadWriteOnce"], "volumeName": "pv1", "storageClassName": "",
                                         "resources": ["requests": ["storage": "1Gi"]]]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/persistentvolumeclaims", claim).status == 201)
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "web"],
            "spec": [
                "nodeName": "n1",
                "containers": [["name": "c", "image": "i",
                                "env": [["name": "A", "valueFrom": ["secretKeyRef": ["name": "from-env", "key": "k"]]]],
                                "envFrom": [["configMapRef": ["name": "settings"]]]]],
                "volumes": [["name": "s", "secret": ["secretName": "referenced"]],
                            ["name": "d", "persistentVolumeClaim": ["claimName": "data"]]],
            ],
        ]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", pod).status == 201)
        try await eventually { try await s.request("GET", "/api/v1/namespaces/default/secrets/referenced", user: n1).status == 200 }
        #expect(try await s.request("GET", "/api/v1/namespaces/default/secrets/from-env", user: n1).status == 200)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/configmaps/settings", user: n1).status == 200)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/persistentvolumeclaims/data", user: n1).status == 200)
        #expect(try await s.request("GET", "/api/v1/persistentvolumes/pv1", user: n1).status == 200)
        // A watch of one object by name, as upstream's kubelet follows what its pods reference.
        #expect(try await s.request("GET", "/api/v1/namespaces/default/secrets?fieldSelector=metadata.name%3Dreferenced&limit=1",
                                    user: n1).status == 200)

        let unrelated = try await s.request("GET", "/api/v1/namespaces/default/secrets/unrelated", user: n1)
        #expect(unrelated.status == 403)
        #expect(unrelated.body["message"]?.string == #"secrets "unrelated" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'n1' and this object"#)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/secrets/referenced", user: n2).status == 403)
        let list = try await s.request("GET", "/api/v1/namespaces/default/secrets", user: n1)
        #expect(list.status == 403 && list.body["message"]?.string?.hasSuffix(": No Object name found") == true)
        let write = try await s.request("DELETE", "/api/v1/namespaces/default/secrets/referenced", user: n1)
        #expect(write.status == 403 && write.body["message"]?.string?.hasSuffix(": can only read resources of this type") == true)

        // Tokens only for the service account of its pods.
        let request: JSONValue = ["apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": ["audiences": ["api"]]]
        let other: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "other"]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/serviceaccounts", other).status == 201)
        let denied = try await s.request("POST", "/api/v1/namespaces/default/serviceaccounts/other/token", request, user: n1)
        #expect(denied.status == 403 && denied.body["message"]?.string?.hasSuffix("no relationship found between node 'n1' and this object") == true)
        let token = try await s.request("POST", "/api/v1/namespaces/default/serviceaccounts/default/token", request, user: n1)
        #expect(token.status != 403, "\(token.text)")

        // Once the pod is gone, so is the path.
        #expect(try await s.request("DELETE", "/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0", user: TestServer.admin).status == 200)
        try await eventually { try await s.request("GET", "/api/v1/namespaces/default/secrets/referenced", user: n1).status == 403 }
        #expect(try await s.request("GET", "/api/v1/persistentvolumes/pv1", user: n1).status == 403)
    }
}
