@testable import APIServer
import KubeJSON
import Testing

/// managedFields and server-side apply: ownership from updates, conflicts, forcing, shared ownership, removal of
/// fields an applier stops applying, associative lists, and the FieldsV1 encoding.
@Suite struct ServerSideApplyTests {
    func apply(_ s: TestServer, _ path: String, _ config: String, manager: String, force: Bool = false) async throws -> TestServer.Reply {
        try await s.request("PATCH", "\(path)?fieldManager=\(manager)\(force ? "&force=true" : "")", contentType: "application/apply-patch+yaml",
                            rawBody: Array(config.utf8))
    }

    func managers(_ object: JSONValue) -> [String] {
        (object[path: ["metadata", "managedFields"]]?.array ?? []).map { "\($0["manager"]?.string ?? ""):\($0["operation"]?.string ?? "")" }
    }

    @Test func updatesRecordOwnershipAndAppliesConflict() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let cms = "/api/v1/namespaces/default/configmaps"
        let created = try await s.request("POST", "\(cms)?fieldManager=kubectl-create", configMap("c", labels: ["app": "x"], data: ["a": "1"]))
        #expect(managers(created.body) == ["kubectl-create:Update"])
        #expect(created.body[path: ["metadata", "managedFields", "0", "fieldsV1"]] == nil)
        let fields = created.body[path: ["metadata", "managedFields"]]?.array?.first?["fieldsV1"]
        #expect(fields == ["f:data": [".": .emptyObject, "f:a": .emptyObject],
                           "f:metadata": ["f:labels": [".": .emptyObject, "f:app": .emptyObject]]])

        let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"2\"\n  b: \"x\"\n"
        let conflict = try await apply(s, "\(cms)/c", config, manager: "ops")
        #expect(conflict.status == 409)
        #expect(conflict.body["message"]?.string == #"Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.a"#)
        #expect(conflict.body[path: ["details", "causes"]] == [["reason": "FieldManagerConflict", "message": #"conflict with "kubectl-create" using v1"#, "field": ".data.a"]])
        let forced = try await apply(s, "\(cms)/c", config, manager: "ops", force: true)
        #expect(forced.status == 200 && forced.body["data"] == ["a": "2", "b": "x"], "\(forced.text)")
        #expect(managers(forced.body) == ["kubectl-create:Update", "ops:Apply"])

        // Another applier setting the same value shares the field; a different value conflicts with the applier.
        let same = try await apply(s, "\(cms)/c", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  b: \"x\"\n", manager: "other")
        #expect(same.status == 200)
        let differs = try await apply(s, "\(cms)/c", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  b: \"y\"\n", manager: "third")
        #expect(differs.body["message"]?.string?.contains(#"Apply failed with 1 conflict: conflict with "ops": .data.b"#) == true
            || differs.body["message"]?.string?.hasPrefix("Apply failed with 2 conflicts:") == true, "\(differs.text)")

        // ops stops applying a: a stays (no one else owns it? kubectl-create lost it) — it goes; b stays (other owns it).
        let dropped = try await apply(s, "\(cms)/c", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata: {}\n", manager: "ops")
        #expect(dropped.status == 200 && dropped.body["data"] == ["b": "x"], "\(dropped.text)")

        // A plain update takes the fields it changes from the appliers, without conflicts.
        var edited = dropped.body
        edited[path: ["data", "b"]] = "edited"
        let put = try await s.request("PUT", "\(cms)/c?fieldManager=kubectl-edit", edited)
        #expect(put.status == 200 && managers(put.body).contains("kubectl-edit:Update"))
        // other applied data.b (taken now by kubectl-edit) and keeps only the map itself, as upstream records it.
        let otherAfter = put.body[path: ["metadata", "managedFields"]]?.array?.first { $0["manager"] == "other" }
        #expect(otherAfter?["fieldsV1"] == ["f:data": .emptyObject])
    }

    /// kubectl 1.26+ moving from `kubectl apply` to `kubectl apply --server-side`: fields still as the last client-side
    /// apply set them do not conflict for the manager `kubectl`, the annotation follows the server-side config, and
    /// managedFields a client rewrites replace the stored ones (kubectl's migration patch).
    @Test func clientSideApplyUpgradesToServerSideApply() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let cms = "/api/v1/namespaces/default/configmaps"
        let lastApplied = #"{"apiVersion":"v1","data":{"k":"v"},"kind":"ConfigMap","metadata":{"annotations":{},"labels":{"a":"1"},"name":"ssa","namespace":"default"}}"# + "\n"
        var cm = configMap("ssa", labels: ["a": "1"], data: ["k": "v"])
        cm[path: ["metadata", "annotations"]] = ["kubectl.kubernetes.io/last-applied-configuration": .string(lastApplied)]
        #expect(try await s.request("POST", "\(cms)?fieldManager=kubectl-client-side-apply", cm).status == 201)
        let config = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  labels: {a: \"2\", b: x}\ndata:\n  k: v2\n"
        let other = try await apply(s, "\(cms)/ssa", config, manager: "someone-else")
        #expect(other.status == 409, "only kubectl's own upgrade is let through")
        let upgraded = try await apply(s, "\(cms)/ssa", config, manager: "kubectl")
        #expect(upgraded.status == 200, "\(upgraded.text)")
        #expect(upgraded.body["data"] == ["k": "v2"] && upgraded.body[path: ["metadata", "labels"]] == ["a": "2", "b": "x"])
        let annotation = upgraded.body[path: ["metadata", "annotations", "kubectl.kubernetes.io/last-applied-configuration"]]?.string
        #expect(annotation == #"{"apiVersion":"v1","data":{"k":"v2"},"kind":"ConfigMap","metadata":{"labels":{"a":"2","b":"x"},"name":"ssa"}}"# + "\n")

        // Once the live value differs from the last-applied one, it is a conflict again.
        var edited = upgraded.body
        edited[path: ["data", "k"]] = "edited"
        #expect(try await s.request("PUT", "\(cms)/ssa?fieldManager=kubectl-edit", edited).status == 200)
        let conflict = try await apply(s, "\(cms)/ssa", config.replacingOccurrences(of: "k: v2", with: "k: v3"), manager: "kubectl")
        #expect(conflict.status == 409)

        // A client that rewrites managedFields (kubectl's migration) has them stored as sent.
        var rewritten = try await s.request("GET", "\(cms)/ssa").body
        rewritten[path: ["metadata", "managedFields"]] = [["manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
                                                        "fieldsType": "FieldsV1", "fieldsV1": ["f:data": ["f:k": .emptyObject]]]]
        let put = try await s.request("PUT", "\(cms)/ssa?fieldManager=kubectl", rewritten)
        #expect(managers(put.body) == ["kubectl:Apply"], "\(put.text)")
    }

    @Test func associativeListsMergeByKey() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let deployments = "/apis/apps/v1/namespaces/default/deployments"
        let base = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx:1.27
        """
        #expect(try await apply(s, "\(deployments)/web", base, manager: "team-a").status == 201)
        // Another manager adds a sidecar container: the list is merged by name, not replaced.
        let sidecar = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          template:
            spec:
              containers:
              - name: log
                image: fluent-bit:3
        """
        let merged = try await apply(s, "\(deployments)/web", sidecar, manager: "team-b")
        #expect(merged.status == 200, "\(merged.text)")
        #expect(merged.body[path: ["spec", "template", "spec", "containers"]]?.array?.compactMap { $0["name"]?.string } == ["web", "log"])
        let b = merged.body[path: ["metadata", "managedFields"]]?.array?.first { $0["manager"] == "team-b" }
        #expect(b?[path: ["fieldsV1", "f:spec", "f:template", "f:spec", "f:containers", #"k:{"name":"log"}"#, "f:image"]] == .emptyObject)
        // team-a changing the sidecar's image conflicts, with upstream's path syntax.
        let steal = base + "\n      - name: log\n        image: fluent-bit:4"
        let conflict = try await apply(s, "\(deployments)/web", steal, manager: "team-a")
        #expect(conflict.body["message"]?.string == #"Apply failed with 1 conflict: conflict with "team-b": .spec.template.spec.containers[name="log"].image"#,
                "\(conflict.text)")
        // team-b dropping its container removes it.
        let gone = try await apply(s, "\(deployments)/web", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n", manager: "team-b")
        #expect(gone.status == 200, "\(gone.text)")
        #expect(gone.body[path: ["spec", "template", "spec", "containers"]]?.array?.compactMap { $0["name"]?.string } == ["web"])
    }

    @Test func fieldsV1RoundTrips() {
        var set = FieldSet()
        set.paths = [[.field("data")], [.field("data"), .field("a")], [.field("spec"), .field("ports"), .key(["port": 80, "protocol": "TCP"])],
                     [.field("metadata"), .field("finalizers"), .value("x")]]
        let json = set.fieldsV1
        #expect(json[path: ["f:spec", "f:ports", #"k:{"port":80,"protocol":"TCP"}"#]] == .emptyObject)
        #expect(json[path: ["f:metadata", "f:finalizers", #"v:"x""#]] == .emptyObject)
        #expect(FieldSet(fieldsV1: json) == set)
        #expect([PathElement.field("spec"), .field("ports"), .key(["port": 80, "protocol": "TCP"]), .field("name")].display
            == #".spec.ports[port=80,protocol="TCP"].name"#)
    }
}
