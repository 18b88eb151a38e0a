@testable import APIServer
import KubeJSON
import Testing

/// The generated tables and the codec against hand-built bytes (upstream's field numbers from its .proto files).
@Suite struct ProtobufCodecTests {
    /// coordination/v1 Lease{metadata{name, namespace}, spec{holderIdentity, leaseDurationSeconds, acquireTime, renewTime,
    /// leaseTransitions}}, MicroTime{seconds, nanos}.
    static func leaseBytes(renewNanos: Int64 = 123_456_000) -> PB {
        let meta = PB().string(1, "lock").string(3, "default")
        let acquire = PB().int(1, 1_796_359_205).int(2, 0)
        let renew = PB().int(1, 1_796_359_205).int(2, renewNanos)
        let spec = PB().string(1, "node-a").int(2, 15).message(3, acquire).message(4, renew).int(5, 0)
        return PB().message(1, meta).message(2, spec)
    }

    @Test func aLeaseDecodesWithMicroTimesAsUpstreamWritesThem() throws {
        let lease = try ProtobufDecoder.decode(PB.envelope("coordination.k8s.io/v1", "Lease", Self.leaseBytes()))
        #expect(lease["kind"] == "Lease" && lease["apiVersion"] == "coordination.k8s.io/v1")
        #expect(lease[path: ["metadata", "name"]] == "lock" && lease[path: ["metadata", "namespace"]] == "default")
        #expect(lease[path: ["spec", "holderIdentity"]] == "node-a")
        #expect(lease[path: ["spec", "leaseDurationSeconds"]] == 15)
        #expect(lease[path: ["spec", "acquireTime"]] == "2026-12-04T04:40:05.000000Z")
        #expect(lease[path: ["spec", "renewTime"]] == "2026-12-04T04:40:05.123456Z")
        // A pointer (*int32) keeps its set zero.
        #expect(lease[path: ["spec", "leaseTransitions"]] == 0)
    }

    @Test func theEncoderWritesTheSameBytesAsTheHandBuiltClient() throws {
        let json: JSONValue = ["apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                               "metadata": ["name": "lock", "namespace": "default"],
                               "spec": ["holderIdentity": "node-a", "leaseDurationSeconds": 15, "leaseTransitions": 0,
                                        "acquireTime": "2026-12-04T04:40:05.000000Z", "renewTime": "2026-12-04T04:40:05.123456Z"]]
        let encoded = try #require(ProtobufEncoder.encode(json))
        #expect(encoded == PB.envelope("coordination.k8s.io/v1", "Lease", Self.leaseBytes()))
        #expect(try ProtobufDecoder.decode(encoded) == json)
    }

    @Test func metav1TimeKeepsSecondsAndAnEmptyTimeIsNull() throws {
        // core/v1 Event: firstTimestamp 6 (Time), eventTime 10 (MicroTime), count 8.
        let event = PB().message(1, PB().string(1, "e1")).message(6, PB().int(1, 1_796_359_205).int(2, 999))
            .message(7, []).message(10, PB().int(1, 1_796_359_205).int(2, 1_500)).int(8, 0).string(14, "")
        let json = try ProtobufDecoder.decode(PB.envelope("v1", "Event", event))
        #expect(json["firstTimestamp"] == "2026-12-04T04:40:05Z")
        #expect(json["lastTimestamp"] == nil)
        #expect(json["eventTime"] == "2026-12-04T04:40:05.000001Z")
        // `count` is omitempty: Go's JSON leaves its zero out; reportingComponent is not, and stays.
        #expect(json["count"] == nil)
        #expect(json["reportingComponent"] == "")
    }

    @Test func jsonNamesComeFromTheGoStructTags() throws {
        let tables = ProtoTables.shared
        func names(_ message: String) throws -> Set<String> { Set(try #require(tables.messages[message]).fields.map(\.jsonName)) }
        #expect(try names("apiextensions.v1.JSONSchemaProps").isSuperset(of: ["$ref", "$schema", "x-kubernetes-list-type",
                                                                               "x-kubernetes-preserve-unknown-fields", "x-kubernetes-validations"]))
        #expect(try names("core.v1.ServiceSpec").isSuperset(of: ["externalIPs", "clusterIPs", "ipFamilyPolicy"]))
        #expect(try names("core.v1.PodStatus").isSuperset(of: ["podIPs", "hostIPs"]))
        #expect(try names("core.v1.ServicePort").contains("nodePort"))
        let volume = try #require(tables.messages["core.v1.Volume"])
        #expect(volume.fields.contains { $0.inline && $0.type == .message("core.v1.VolumeSource") })
        #expect(tables.message(apiVersion: "apps/v1", kind: "DeleteOptions")?.name == "meta.v1.DeleteOptions")
        #expect(tables.message(apiVersion: "v1", kind: "Status")?.name == "meta.v1.Status")
        #expect(tables.message(apiVersion: "autoscaling/v1", kind: "HorizontalPodAutoscaler") != nil)
        for kind in ["admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration", "certificates.k8s.io/v1 CertificateSigningRequest",
                     "apiregistration.k8s.io/v1 APIService", "apiextensions.k8s.io/v1 CustomResourceDefinition"] {
            let parts = kind.split(separator: " ").map(String.init)
            #expect(tables.message(apiVersion: parts[0], kind: parts[1]) != nil, "\(kind)")
        }
    }

    @Test func aPodRoundTripsThroughProtobuf() throws {
        let pod: JSONValue = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "web", "namespace": "default", "labels": ["app": "web"], "creationTimestamp": "2026-12-04T04:40:05Z",
                         "ownerReferences": [["apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u1",
                                              "controller": true, "blockOwnerDeletion": true]]],
            "spec": [
                "containers": [["name": "c", "image": "nginx", "ports": [["containerPort": 80, "protocol": "TCP"]],
                                "resources": ["limits": ["cpu": "500m", "memory": "128Mi"]],
                                "livenessProbe": ["httpGet": ["path": "/", "port": "http"], "periodSeconds": 10],
                                "readinessProbe": ["tcpSocket": ["port": 8080]]]],
                "volumes": [["name": "data", "emptyDir": ["sizeLimit": "1Gi"]], ["name": "cfg", "configMap": ["name": "c", "defaultMode": 420]]],
                "terminationGracePeriodSeconds": 0, "enableServiceLinks": false,
            ],
            "status": ["podIPs": [["ip": "10.0.0.1"]], "phase": "Running"],
        ]
        let encoded = try #require(ProtobufEncoder.encode(pod))
        #expect(try ProtobufDecoder.decode(encoded) == pod)
    }

    @Test func schemasAndDurationsKeepTheirJSONForms() throws {
        let crd: JSONValue = [
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "crontabs.example.com"],
            "spec": ["group": "example.com", "scope": "Namespaced", "names": ["plural": "crontabs", "kind": "CronTab"],
                     "versions": [["name": "v1", "served": true, "storage": true, "schema": ["openAPIV3Schema": [
                         "type": "object", "x-kubernetes-preserve-unknown-fields": true,
                         "properties": ["spec": ["type": "object", "additionalProperties": false,
                                                 "properties": ["cron": ["type": "string", "default": "* * * * *"],
                                                                "tags": ["type": "array", "items": ["type": "string"],
                                                                         "x-kubernetes-list-type": "set"]]]]]]]]],
        ]
        let encoded = try #require(ProtobufEncoder.encode(crd))
        #expect(try ProtobufDecoder.decode(encoded) == crd)
        // metav1.Duration: int64 nanoseconds on the wire, Go's text in JSON.
        let duration = try #require(ProtoTables.shared.messages["meta.v1.Duration"])
        for (nanos, text) in [(Int64(300_000_000_000), "5m0s"), (3_600_000_000_000, "1h0m0s"), (1_500_000_000, "1.5s"), (0, "0s")] {
            let bytes = ProtobufEncoder.encodeMessage(.string(text), duration)
            #expect(bytes == PB().int(1, nanos).bytes)
            #expect(try ProtobufDecoder.decodeMessage(bytes, duration) == .string(text))
        }
    }

    @Test func badBytesAreA400AndUnknownFieldsAreSkipped() throws {
        func code(_ body: [UInt8]) -> Int? {
            do { _ = try ProtobufDecoder.decode(body); return nil } catch { return error.code }
        }
        let lease = PB.envelope("coordination.k8s.io/v1", "Lease", Self.leaseBytes())
        // Truncated anywhere: an error, never a crash.
        for n in 4..<lease.count - 1 {
            if let c = code(Array(lease.prefix(n))) { #expect(c == 400) }
        }
        // A varint of eleven bytes.
        #expect(code(PB.envelope("v1", "Pod", PB(bytes: [0x08] + Array(repeating: 0xFF, count: 10) + [0x01]))) == 400)
        // metadata (a message) sent as a varint.
        #expect(code(PB.envelope("v1", "Pod", PB().int(1, 5))) == 400)
        // A string field sent as fixed64.
        #expect(code(PB.envelope("v1", "ConfigMap", PB(bytes: [0x0A, 0x02, 0x09] + [UInt8](repeating: 0, count: 1)))) == 400)
        // No prefix; a kind upstream has no message for.
        #expect(code(Array("{}".utf8)) == 400)
        #expect(code(PB.envelope("example.com/v1", "CronTab", PB())) == 415)
        // Deep nesting: JSONSchemaProps in JSONSchemaProps a thousand times.
        var deep = PB().string(5, "object")
        for _ in 0..<1000 { deep = PB().message(28, deep) }
        #expect(code(PB.envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition",
                                 PB().message(2, PB().message(7, PB().message(4, PB().message(1, deep)))))) == 400)
        // Field 99 of ObjectMeta is unknown: skipped.
        let cm = try ProtobufDecoder.decode(PB.envelope("v1", "ConfigMap", PB().message(1, PB().string(1, "x").string(99, "?"))))
        #expect(cm[path: ["metadata", "name"]] == "x")
    }
}
