@testable import APIServer
import KubeJSON
import Testing

@Suite struct PatchTests {
    let pod: JSONValue = ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "labels": ["a": "1"]],
                          "spec": ["containers": [["name": "one", "image": "i:1", "env": [["name": "X", "value": "1"]]],
                                                  ["name": "two", "image": "i:2"]]]]

    @Test func strategicMergeMergesContainersByName() throws {
        let schema = try #require(Schemas.schema(forKind: "Pod", group: ""))
        let patch: JSONValue = [
            "metadata": ["labels": ["b": "2"]],
            "spec": ["$setElementOrder/containers": [["name": "two"], ["name": "one"]],
                     "containers": [["name": "one", "image": "i:9", "env": [["name": "Y", "value": "2"]]]]],
        ]
        let result = try StrategicMergePatch.apply(patch, to: pod, schema: schema)
        let containers = result[path: ["spec", "containers"]]?.array ?? []
        #expect(containers.map { $0["name"]?.string } == ["two", "one"])
        #expect(containers[1]["image"]?.string == "i:9")
        #expect(containers[1]["env"]?.array?.compactMap { $0["name"]?.string } == ["X", "Y"])
        #expect(result.metaLabels == ["a": "1", "b": "2"])
        let deleted = try StrategicMergePatch.apply(["spec": ["containers": [["name": "two", "$patch": "delete"]]]], to: pod, schema: schema)
        #expect(deleted[path: ["spec", "containers"]]?.array?.count == 1)
    }

    @Test func jsonPatchAndMergePatch() throws {
        let ops: JSONValue = [["op": "replace", "path": "/metadata/labels/a", "value": "9"],
                              ["op": "add", "path": "/spec/containers/-", "value": ["name": "three", "image": "i:3"]],
                              ["op": "remove", "path": "/spec/containers/0"]]
        let patched = try JSONPatch.apply(ops, to: pod)
        #expect(patched.metaLabels == ["a": "9"])
        #expect(patched[path: ["spec", "containers"]]?.array?.compactMap { $0["name"]?.string } == ["two", "three"])
        #expect(throws: StatusError.self) { try JSONPatch.apply([["op": "remove", "path": "/nope"]], to: pod) }
        let merged = MergePatch.apply(["metadata": ["labels": ["a": .null, "c": "3"]]], to: pod)
        #expect(merged.metaLabels == ["c": "3"])
    }

    @Test func patchThroughTheServerKeepsConcurrencyRules() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("c"))
        let merged = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/c",
                                         ["metadata": ["labels": ["x": "y"]]], contentType: "application/strategic-merge-patch+json")
        #expect(merged.status == 200 && merged.body.metaLabels == ["x": "y"])
        let stale = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/c",
                                        ["metadata": ["resourceVersion": "1"], "data": ["k": "z"]], contentType: "application/merge-patch+json")
        #expect(stale.status == 409)
        let unsupported = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/c", ["a": 1], contentType: "text/plain")
        #expect(unsupported.status == 415)
        let apply = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/new?fieldManager=test",
                                        contentType: "application/apply-patch+yaml",
                                        rawBody: Array("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: new\ndata:\n  a: \"1\"\n".utf8))
        #expect(apply.status == 201 && apply.body[path: ["data", "a"]]?.string == "1", "\(apply.text)")
    }

    /// A JSON Patch `remove` deletes the key (it stored `"finalizers": null` once, which an operator framework then
    /// crashed iterating), in the stored object and in watch events; removing one label is not a null label value.
    @Test func jsonPatchRemoveDeletesKeysInStorageAndWatchEvents() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var cm = configMap("f")
        cm[path: ["metadata", "finalizers"]] = ["example.com/keep"]
        cm[path: ["metadata", "labels"]] = ["l1": "a", "l2": "b"]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps", cm).status == 201)
        let watch = try await s.watch("/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Df&resourceVersion=0")
        _ = try await watch.next()
        let patch = "application/json-patch+json"
        let removed = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/f",
                                          [["op": "remove", "path": "/metadata/finalizers"]], contentType: patch)
        #expect(removed.status == 200, "\(removed.text)")
        #expect(!removed.text.contains("finalizers"))
        let (type, event) = try await watch.next()
        #expect(type == "MODIFIED")
        #expect(event[path: ["metadata"]]?.object?.keys.contains("finalizers") == false)
        let label = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/f",
                                        [["op": "remove", "path": "/metadata/labels/l1"]], contentType: patch)
        #expect(label.status == 200, "\(label.text)")
        #expect(label.body.metaLabels == ["l2": "b"])
        let stored = try await s.request("GET", "/api/v1/namespaces/default/configmaps/f")
        #expect(stored.body[path: ["metadata"]]?.object?.keys.contains("finalizers") == false)
        #expect(stored.body.metaLabels == ["l2": "b"])
    }

    /// As upstream's omitempty ObjectMeta: null or empty finalizers, labels, annotations and owner references are
    /// stored as absent, whichever verb wrote them.
    @Test func emptyOrNullMetadataFieldsAreStoredAsAbsent() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        var cm = configMap("e")
        cm[path: ["metadata", "finalizers"]] = []
        cm[path: ["metadata", "labels"]] = [:]
        cm[path: ["metadata", "annotations"]] = .null
        cm[path: ["metadata", "ownerReferences"]] = []
        let created = try await s.request("POST", "/api/v1/namespaces/default/configmaps", cm)
        #expect(created.status == 201)
        let keys = Set(created.body[path: ["metadata"]]?.object?.keys.map { $0 } ?? [])
        #expect(keys.isDisjoint(with: ["finalizers", "labels", "annotations", "ownerReferences"]), "\(keys)")
        let merged = try await s.request("PATCH", "/api/v1/namespaces/default/configmaps/e",
                                         ["metadata": ["finalizers": [], "labels": ["a": "b"]]], contentType: "application/merge-patch+json")
        #expect(merged.status == 200)
        #expect(merged.body[path: ["metadata", "finalizers"]] == nil)
        var put = merged.body
        put[path: ["metadata", "labels"]] = [:]
        put[path: ["metadata", "finalizers"]] = .null
        let replaced = try await s.request("PUT", "/api/v1/namespaces/default/configmaps/e", put)
        #expect(replaced.status == 200)
        #expect(replaced.body[path: ["metadata", "labels"]] == nil && replaced.body[path: ["metadata", "finalizers"]] == nil)
    }
}

/// Protobuf bodies come from clients: no byte sequence may trap the decoder (a huge length varint once did).
@Suite struct ProtobufRobustnessTests {
    @Test func randomAndHostileBodiesAreErrorsNotCrashes() {
        var generator = SystemRandomNumberGenerator()
        let envelope: [UInt8] = [0x6B, 0x38, 0x73, 0x00]
        // A TypeMeta for a known kind, then a raw field whose length varint is 2^64-1.
        let typeMeta: [UInt8] = [0x0A, 0x0C, 0x0A, 0x02] + Array("v1".utf8) + [0x12, 0x06] + Array("Secret".utf8)
        let hostile = envelope + typeMeta + [0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        #expect(throws: StatusError.self) { try ProtobufDecoder.decode(hostile) }
        var refused = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...64, using: &generator)
            let tail = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            do {
                _ = try ProtobufDecoder.decode(envelope + typeMeta + [0x12, UInt8(length)] + tail)
            } catch let error as StatusError {
                #expect(error.code == 400, "\(error)")
                refused += 1
            } catch {
                Issue.record("not a Status error: \(error)")
            }
        }
        // Random bytes are mostly not a valid message; some happen to be.
        #expect(refused > 1000)
    }

    @Test func timestampsOutOfRangeAreClampedNotTrapped() {
        #expect(Timestamp.format(9.3e18) == "9999-12-31T23:59:59Z")
        #expect(Timestamp.format(-9.3e18) == "0001-01-01T00:00:00Z")
        #expect(Timestamp.format(.nan) == "1970-01-01T00:00:00Z")
    }
}
