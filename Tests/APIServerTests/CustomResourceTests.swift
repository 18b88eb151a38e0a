@testable import APIServer
import KubeJSON
import Testing

/// CustomResourceDefinitions served in process: establishing, discovery, schema pruning/defaulting/validation with
/// upstream's messages, the status subresource, printer columns, several versions, conflicts and deletion.
@Suite struct CustomResourceTests {
    static func crd(plural: String = "crontabs", kind: String = "CronTab", group: String = "stable.example.com",
                    versions: [String] = ["v1"], storage: String = "v1") -> JSONValue {
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "spec": [
                    "type": "object", "required": ["cronSpec"],
                    "properties": [
                        "cronSpec": ["type": "string", "pattern": "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$"],
                        "image": ["type": "string", "maxLength": 20],
                        "replicas": ["type": "integer", "minimum": 1, "maximum": 10, "default": 1],
                        "size": ["type": "string", "enum": ["S", "M", "L"]],
                        "extra": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                    ],
                ],
                "status": ["type": "object", "properties": ["ready": ["type": "boolean"]]],
            ],
        ]
        return [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": ["name": .string("\(plural).\(group)")],
            "spec": [
                "group": .string(group), "scope": "Namespaced",
                "names": ["plural": .string(plural), "kind": .string(kind), "shortNames": ["ct"]],
                "versions": .array(versions.map { v in
                    [
                        "name": .string(v), "served": true, "storage": .bool(v == storage), "schema": ["openAPIV3Schema": schema],
                        "subresources": ["status": .emptyObject],
                        "additionalPrinterColumns": [["name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"],
                                                     ["name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"],
                                                     ["name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"]],
                    ]
                }),
            ],
        ]
    }

    static func cronTab(_ name: String, _ spec: JSONValue, version: String = "v1") -> JSONValue {
        ["apiVersion": .string("stable.example.com/\(version)"), "kind": "CronTab", "metadata": ["name": .string(name)], "spec": spec]
    }

    static let crds = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    static let cronTabs = "/apis/stable.example.com/v1/namespaces/default/crontabs"

    func established(_ s: TestServer, _ name: String) async throws {
        try await eventually {
            let crd = try await s.request("GET", "\(Self.crds)/\(name)").body
            return crd[path: ["status", "conditions"]]?.array?.contains { $0["type"] == "Established" && $0["status"] == "True" } == true
        }
    }

    @Test func aCRDIsServedWithItsSchemaColumnsAndStatus() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let created = try await s.request("POST", Self.crds, Self.crd())
        #expect(created.status == 201, "\(created.text)")
        try await established(s, "crontabs.stable.example.com")
        let crd = try await s.request("GET", "\(Self.crds)/crontabs.stable.example.com").body
        #expect(crd[path: ["status", "acceptedNames", "kind"]]?.string == "CronTab")
        #expect(crd[path: ["status", "storedVersions"]] == ["v1"])
        #expect(crd[path: ["spec", "names", "listKind"]]?.string == "CronTabList")
        #expect(crd[path: ["spec", "names", "singular"]]?.string == "crontab")

        // Discovery.
        let groups = try await s.request("GET", "/apis").body["groups"]?.array ?? []
        #expect(groups.contains { $0["name"] == "stable.example.com" && $0[path: ["preferredVersion", "version"]] == "v1" })
        let resources = try await s.request("GET", "/apis/stable.example.com/v1").body["resources"]?.array ?? []
        #expect(resources.contains { $0["name"] == "crontabs" && $0["shortNames"] == ["ct"] && $0["namespaced"] == true })
        #expect(resources.contains { $0["name"] == "crontabs/status" })

        // Defaults, pruning (a warning), and what the schema keeps.
        let first = try await s.request("POST", Self.cronTabs, Self.cronTab("nightly", ["cronSpec": "0 3 * * *", "image": "backup",
                                                                                          "unknown": 1, "extra": ["anything": ["goes": true]]]))
        #expect(first.status == 201, "\(first.text)")
        #expect(first.body[path: ["spec", "replicas"]]?.int == 1)
        #expect(first.body[path: ["spec", "unknown"]] == nil)
        #expect(first.body[path: ["spec", "extra", "anything", "goes"]]?.bool == true)
        #expect(first.body[path: ["metadata", "generation"]]?.int == 1)
        #expect(first.headers.contains { $0.0 == "warning" && $0.1.contains(#"unknown field \"spec.unknown\""#) })
        let strict = try await s.request("POST", Self.cronTabs + "?fieldValidation=Strict", Self.cronTab("strict", ["cronSpec": "* * * * *", "nope": 1]))
        #expect(strict.status == 400 && strict.body["message"]?.string == #"CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: unknown field "spec.nope""#)

        // Validation with upstream's wording.
        let bad = try await s.request("POST", Self.cronTabs, Self.cronTab("bad", ["cronSpec": "every day", "replicas": "two", "size": "XL",
                                                                                 "image": "a-very-long-image-name-indeed"]))
        #expect(bad.status == 422)
        let message = bad.body["message"]?.string ?? ""
        #expect(message.hasPrefix(#"CronTab.stable.example.com "bad" is invalid: ["#), "\(message)")
        #expect(message.contains(#"spec.replicas: Invalid value: "integer": spec.replicas in body must be of type integer: "string""#) == false)
        #expect(message.contains(#"spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string""#), "\(message)")
        #expect(message.contains(#"spec.size: Unsupported value: "XL": supported values: "S", "M", "L""#), "\(message)")
        #expect(message.contains(#"spec.image: Too long: may not be more than 20 bytes"#), "\(message)")
        #expect(message.contains(#"spec.cronSpec: Invalid value: "every day": spec.cronSpec in body should match"#), "\(message)")
        let causes = bad.body[path: ["details", "causes"]]?.array ?? []
        #expect(causes.contains { $0["field"] == "spec.size" && $0["reason"] == "FieldValueNotSupported" })
        let tooMany = try await s.request("POST", Self.cronTabs, Self.cronTab("many", ["cronSpec": "* * * * *", "replicas": 11]))
        #expect(tooMany.body["message"]?.string
            == #"CronTab.stable.example.com "many" is invalid: spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"#)
        let missing = try await s.request("POST", Self.cronTabs, Self.cronTab("missing", ["image": "x"]))
        #expect(missing.body["message"]?.string == #"CronTab.stable.example.com "missing" is invalid: spec.cronSpec: Required value"#)

        // Status is its own subresource; generation follows the spec only.
        var withStatus = first.body
        withStatus["status"] = ["ready": true]
        withStatus[path: ["spec", "image"]] = "backup2"
        let updated = try await s.request("PUT", "\(Self.cronTabs)/nightly", withStatus)
        #expect(updated.status == 200 && updated.body["status"] == nil && updated.body[path: ["metadata", "generation"]]?.int == 2)
        var statusOnly = updated.body
        statusOnly["status"] = ["ready": true]
        let status = try await s.request("PUT", "\(Self.cronTabs)/nightly/status", statusOnly)
        #expect(status.status == 200 && status.body[path: ["status", "ready"]]?.bool == true)
        #expect(status.body[path: ["metadata", "generation"]]?.int == 2)

        // Printer columns.
        let table = try await s.request("GET", Self.cronTabs, accept: "application/json;as=Table;v=v1;g=meta.k8s.io").body
        #expect(table["columnDefinitions"]?.array?.compactMap { $0["name"]?.string } == ["Name", "Spec", "Replicas", "Age"])
        let cells = table["rows"]?.array?.first?["cells"]?.array ?? []
        #expect(cells.count == 4 && cells[0] == "nightly" && cells[1] == "0 3 * * *" && cells[2] == 1)

        // OpenAPI v3 for kubectl explain.
        let index = try await s.request("GET", "/openapi/v3").body
        #expect(index[path: ["paths", "apis/stable.example.com/v1"]] != nil)
        let doc = try await s.request("GET", "/openapi/v3/apis/stable.example.com/v1").body
        #expect(doc[path: ["components", "schemas", "com.example.stable.v1.CronTab", "properties", "spec", "properties", "replicas", "maximum"]]?.int == 10)
    }

    @Test func crdsAreValidatedAsUpstreamDoes() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var wrongName = Self.crd()
        wrongName[path: ["metadata", "name"]] = "crontab.stable.example.com"
        let named = try await s.request("POST", Self.crds, wrongName)
        #expect(named.status == 422)
        #expect(named.body["message"]?.string?.contains(#"metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group"#) == true)
        var untyped = Self.crd()
        untyped[path: ["spec", "versions"]] = [["name": "v1", "served": true, "storage": true,
                                               "schema": ["openAPIV3Schema": ["type": "object", "properties": ["spec": ["properties": .emptyObject]]]]]]
        let structural = try await s.request("POST", Self.crds, untyped)
        #expect(structural.body["message"]?.string?.contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields") == true,
                "\(structural.text)")
        var twoStorage = Self.crd(versions: ["v1", "v2"])
        twoStorage[path: ["spec", "versions"]] = .array((twoStorage[path: ["spec", "versions"]]?.array ?? []).map { v in
            var v = v
            v["storage"] = true
            return v
        })
        let storage = try await s.request("POST", Self.crds, twoStorage)
        #expect(storage.body["message"]?.string?.contains("must have exactly one version marked as storage version") == true)
        let dotless = try await s.request("POST", Self.crds, Self.crd(group: "local"))
        #expect(dotless.body["message"]?.string?.contains(#"spec.group: Invalid value: "local": should be a domain with at least one dot"#) == true)
    }

    /// A kind whose lower-case form is a DNS-1035 label is valid (`Web-App`); one with other characters is not.
    @Test func mixedCaseKindsWithDashesAreValid() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.crds, Self.crd(plural: "webapps", kind: "Web-App")).status == 201)
        let bad = try await s.request("POST", Self.crds, Self.crd(plural: "bads", kind: "Bad_Kind"))
        #expect(bad.status == 422)
        #expect(bad.body["message"]?.string?.contains(#"spec.names.kind: Invalid value: "Bad_Kind": may have mixed case, but should otherwise match: a DNS-1035 label"#) == true,
                "\(bad.text)")
    }

    /// Defaults are applied when objects are read from storage, so a default added later shows on older objects.
    @Test func defaultsApplyToObjectsReadFromStorage() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var crd = Self.crd()
        crd[path: ["spec", "versions"]] = .array((crd[path: ["spec", "versions"]]?.array ?? []).map { v in
            var v = v
            v[path: ["schema", "openAPIV3Schema", "properties", "spec", "properties", "size", "default"]] = nil
            return v
        })
        #expect(try await s.request("POST", Self.crds, crd).status == 201)
        try await established(s, "crontabs.stable.example.com")
        #expect(try await s.request("POST", Self.cronTabs, Self.cronTab("old", ["cronSpec": "* * * * *"])).status == 201)
        var current = try await s.request("GET", "\(Self.crds)/crontabs.stable.example.com").body
        current[path: ["spec", "versions"]] = .array((current[path: ["spec", "versions"]]?.array ?? []).map { v in
            var v = v
            v[path: ["schema", "openAPIV3Schema", "properties", "spec", "properties", "size", "default"]] = "M"
            return v
        })
        #expect(try await s.request("PUT", "\(Self.crds)/crontabs.stable.example.com", current).status == 200)
        try await eventually {
            try await s.request("GET", "\(Self.cronTabs)/old").body[path: ["spec", "size"]] == "M"
        }
        let listed = try await s.request("GET", Self.cronTabs).body["items"]?.array?.first
        #expect(listed?[path: ["spec", "size"]] == "M", "lists default too")
    }

    @Test func versionsConflictsAndDeletion() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.crds, Self.crd(versions: ["v1beta1", "v1"], storage: "v1")).status == 201)
        try await established(s, "crontabs.stable.example.com")
        // Written through v1beta1, read through v1: the same object, apiVersion as asked.
        let beta = "/apis/stable.example.com/v1beta1/namespaces/default/crontabs"
        #expect(try await s.request("POST", beta, Self.cronTab("b", ["cronSpec": "* * * * *"], version: "v1beta1")).status == 201)
        let read = try await s.request("GET", "\(Self.cronTabs)/b").body
        #expect(read["apiVersion"]?.string == "stable.example.com/v1" && read[path: ["spec", "cronSpec"]]?.string == "* * * * *")
        let group = try await s.request("GET", "/apis/stable.example.com").body
        #expect(group[path: ["preferredVersion", "version"]]?.string == "v1")
        #expect(group["versions"]?.array?.compactMap { $0["version"]?.string } == ["v1", "v1beta1"])

        // Another CRD claiming the same kind in the group is not served.
        #expect(try await s.request("POST", Self.crds, Self.crd(plural: "crontabz", kind: "CronTab")).status == 201)
        try await eventually {
            let other = try await s.request("GET", "\(Self.crds)/crontabz.stable.example.com").body
            return other[path: ["status", "conditions"]]?.array?.contains {
                $0["type"] == "NamesAccepted" && $0["status"] == "False" && $0["message"] == #""CronTab" is already in use"#
            } == true
        }
        #expect(try await s.request("GET", "/apis/stable.example.com/v1/namespaces/default/crontabz").status == 404)

        // Deleting the CRD deletes its objects, then the CRD; the resource disappears from discovery.
        let deleting = try await s.request("DELETE", "\(Self.crds)/crontabs.stable.example.com")
        #expect(deleting.status == 200, "\(deleting.text)")
        try await eventually { try await s.request("GET", "\(Self.crds)/crontabs.stable.example.com").status == 404 }
        #expect(try await s.request("GET", "\(Self.cronTabs)/b").status == 404)
        #expect(try await s.request("GET", "/apis/stable.example.com/v1beta1").status == 404)
        #expect(try await s.api.storage.range(prefix: "/registry/stable.example.com/crontabs/", startAfter: nil, limit: 0).kvs.isEmpty)
    }
}

extension CustomResourceTests {
    /// A CRD's operator extends view (and so edit and admin) with a labelled ClusterRole; kube-controller-manager's
    /// clusterrole-aggregation controller copies its rules into view (ControllerManagerTests'
    /// ClusterRoleAggregationTests). Here the rules arrive as it writes them, and RBAC follows.
    @Test func rulesAggregatedIntoViewAuthorizeCustomResources() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", Self.crds, Self.crd()).status == 201)
        try await established(s, "crontabs.stable.example.com")
        let alice = UserInfo(name: "alice", groups: ["system:authenticated"])
        let binding: JSONValue = [
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": ["name": "alice-view"],
            "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"],
            "subjects": [["kind": "User", "name": "alice", "apiGroup": "rbac.authorization.k8s.io"]],
        ]
        #expect(try await s.request("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", binding).status == 201)
        try await eventually { try await s.request("GET", "/api/v1/namespaces/default/configmaps", user: alice).status == 200 }
        #expect(try await s.request("GET", Self.cronTabs, user: alice).status == 403)
        let path = "/apis/rbac.authorization.k8s.io/v1/clusterroles/view"
        let view = try await s.request("GET", path).body
        #expect(view["aggregationRule"] != nil, "view is an aggregate, as upstream's")
        let rule: JSONValue = ["apiGroups": ["stable.example.com"], "resources": ["crontabs"], "verbs": ["get", "list", "watch"]]
        var aggregated = view
        aggregated["rules"] = .array((view["rules"]?.array ?? []) + [rule])
        #expect(try await s.request("PUT", path, aggregated).status == 200)
        try await eventually { try await s.request("GET", Self.cronTabs, user: alice).status == 200 }
        #expect(try await s.request("PUT", path, view.removingResourceVersion).status == 200)
        try await eventually { try await s.request("GET", Self.cronTabs, user: alice).status == 403 }
    }
}

private extension JSONValue {
    var removingResourceVersion: JSONValue {
        var copy = self
        copy[path: ["metadata", "resourceVersion"]] = nil
        return copy
    }
}
