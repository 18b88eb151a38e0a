import KubeAPI
import KubeJSON
import Testing

@Suite struct TypedObjectTests {
    @Test func goFieldsReadZeroWhenAbsentAndOmitEmptyLeavesZerosOut() throws {
        let rs = try ReplicaSet(json: ["metadata": ["name": "web"], "status": ["readyReplicas": .null]])
        #expect(rs.spec.replicas == nil && rs.spec.minReadySeconds == 0 && rs.status.replicas == 0 && rs.status.readyReplicas == 0)
        var status = ReplicaSetStatus()
        status.availableReplicas = 2
        // replicas has no omitempty upstream, the others have.
        #expect(try JSONValueEncoder().encode(status) == ["replicas": 0, "availableReplicas": 2])
    }

    @Test func aChangeThroughTheTypedViewKeepsFieldsItDoesNotModel() throws {
        let stored: JSONValue = [
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": ["name": "web", "managedFields": [["manager": "kubectl"]]],
            "spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "c", "resources": ["limits": ["cpu": 1]]]]]]],
            "status": ["replicas": 1, "readyReplicas": 0, "conditions": [["type": "ReplicaFailure", "status": "True", "extra": "x"]],
                       "futureField": ["a": 1]],
        ]
        let rs = try Typed<ReplicaSet>(stored)
        let written = try rs.modified { $0.status.replicas = 2; $0.status.availableReplicas = 1 }
        var expected = stored
        expected[path: ["status", "replicas"]] = 2
        expected[path: ["status", "availableReplicas"]] = 1
        // An unchanged explicit zero, the conditions' unknown field and the status field of a newer version stay.
        #expect(written == expected)
        #expect(try rs.modified { _ in } == stored)
        let cleared = try rs.modified { $0.status.conditions = nil }
        #expect(cleared[path: ["status", "conditions"]] == nil && cleared[path: ["status", "futureField"]] == ["a": 1])
    }

    @Test func outOfRangeStoredNumbersAreReadClampedAndKeptAsStored() throws {
        let stored: JSONValue = ["spec": ["replicas": .int(Int64.max)], "status": ["collisionCount": .int(-1 << 40)]]
        let d = try Typed<Deployment>(stored)
        #expect(d.object.spec.replicas == Int32.max && d.object.status.collisionCount == Int32.min)
        let written = try d.modified { $0.status.replicas = 3 }
        #expect(written[path: ["spec", "replicas"]] == .int(Int64.max) && written[path: ["status", "collisionCount"]] == .int(-1 << 40))
    }

    @Test func anObjectThatDoesNotDecodeNamesTheField() {
        do {
            _ = try Job(json: ["spec": ["parallelism": "2"]])
            Issue.record("decoded")
        } catch let error as JSONValueDecodingError {
            #expect(error.description == "spec.parallelism: cannot unmarshal string into Go value of type int32")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func labelSelectorsMatchAsUpstreams() throws {
        let selector = try LabelSelector(json: ["matchLabels": ["app": "web"], "matchExpressions": [
            ["key": "tier", "operator": "In", "values": ["a", "b"]], ["key": "canary", "operator": "DoesNotExist"],
            ["key": "zone", "operator": "NotIn", "values": ["x"]], ["key": "team", "operator": "Exists"],
        ]])
        let matcher = try #require(selector.asSelector())
        #expect(matcher.matches(["app": "web", "tier": "a", "team": "t"]))
        #expect(!matcher.matches(["app": "web", "tier": "a", "team": "t", "canary": "1"]))
        #expect(!matcher.matches(["app": "web", "tier": "c", "team": "t"]))
        #expect(!matcher.matches(["app": "web", "tier": "a", "team": "t", "zone": "x"]))
        #expect(LabelSelector(matchExpressions: [.init(key: "a", operator: "Gt", values: ["1"])]).asSelector() == nil)
        #expect(LabelSelector().isEmpty && LabelSelector().asSelector()?.matches(["any": "thing"]) == true)
        #expect(Labels.Selector(matchLabels: ["a": "b"]).matches(["a": "b", "c": "d"]))
    }
}
