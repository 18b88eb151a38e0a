@testable import APIServer
import Foundation
import KubeJSON
import Testing

/// A client that speaks only protobuf, as client-go's typed clients do: bodies in `application/vnd.kubernetes.protobuf`,
/// `Accept: application/vnd.kubernetes.protobuf` (no JSON fallback), its own hand-written wire code (PB, PBMessage).
struct ProtobufOnlyClient {
    let server: TestServer
    static let type = "application/vnd.kubernetes.protobuf"

    struct Reply {
        let status: Int
        let contentType: String
        let body: [UInt8]

        func object() throws -> (apiVersion: String, kind: String, message: PBMessage) { try PBMessage.envelope(body) }
    }

    func send(_ method: String, _ uri: String, body: [UInt8] = [], contentType: String = Self.type,
              accept: String = Self.type) async -> Reply {
        let request = APIRequest(method: method, uri: uri, headers: [("content-type", contentType), ("accept", accept)], body: body,
                                 user: TestServer.admin)
        let response = await server.api.handle(request)
        let type = response.headers.first { $0.0 == "content-type" }?.1 ?? ""
        guard case .bytes(let bytes) = response.body else { return Reply(status: response.status, contentType: type, body: []) }
        return Reply(status: response.status, contentType: type, body: bytes)
    }

    /// A watch's frames: 4-byte big-endian length, then a metav1.WatchEvent{type, object: RawExtension{raw}}.
    func watch(_ uri: String, accept: String = Self.type) async throws -> (contentType: String, events: AsyncThrowingStream<(String, [UInt8]), any Error>) {
        let request = APIRequest(method: "GET", uri: uri, headers: [("accept", accept)], body: [], user: TestServer.admin)
        let response = await server.api.handle(request)
        guard case .stream(let stream) = response.body else { throw TestFailure("not a stream: \(response.status)") }
        let type = response.headers.first { $0.0 == "content-type" }?.1 ?? ""
        let events = AsyncThrowingStream<(String, [UInt8]), any Error> { continuation in
            let task = Task {
                var buffer: [UInt8] = []
                for await chunk in stream {
                    buffer += chunk
                    while buffer.count >= 4 {
                        let length = Int(buffer[0]) << 24 | Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
                        guard buffer.count >= 4 + length else { break }
                        do {
                            let event = try PBMessage(Array(buffer[4..<(4 + length)]))
                            guard case .bytes(let raw)? = try event.message(2)?.fields[1]?.last else { throw TestFailure("no object") }
                            continuation.yield((event.string(1) ?? "", raw))
                        } catch {
                            continuation.finish(throwing: error)
                            return
                        }
                        buffer.removeFirst(4 + length)
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
        return (type, events)
    }
}

@Suite struct ProtobufClientTests {
    static let leases = "/apis/coordination.k8s.io/v1/namespaces/default/leases"

    @Test func leasesAreCreatedPatchedListedWatchedAndDeletedInProtobuf() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let client = ProtobufOnlyClient(server: s)
        let (contentType, events) = try await client.watch(Self.leases + "?watch=true")
        #expect(contentType == "application/vnd.kubernetes.protobuf;stream=watch")
        var watched = events.makeAsyncIterator()

        let created = await client.send("POST", Self.leases, body: PB.envelope("coordination.k8s.io/v1", "Lease", ProtobufCodecTests.leaseBytes()))
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        #expect(created.contentType == "application/vnd.kubernetes.protobuf")
        let (apiVersion, kind, lease) = try created.object()
        #expect(apiVersion == "coordination.k8s.io/v1" && kind == "Lease")
        let meta = try #require(try lease.message(1))
        #expect(meta.string(1) == "lock" && !(meta.string(5) ?? "").isEmpty && !(meta.string(6) ?? "").isEmpty)
        #expect(try meta.message(8)?.int(1) ?? 0 > 1_700_000_000)   // creationTimestamp
        let spec = try #require(try lease.message(2))
        #expect(spec.string(1) == "node-a" && spec.int(2) == 15)
        let renew = try #require(try spec.message(4))
        #expect(renew.int(1) == 1_796_359_205 && renew.int(2) == 123_456_000)

        // A JSON client reads the same Lease with upstream's MicroTime text.
        let json = try await s.request("GET", Self.leases + "/lock")
        #expect(json.body[path: ["spec", "renewTime"]] == "2026-12-04T04:40:05.123456Z")
        #expect(json.body[path: ["spec", "acquireTime"]] == "2026-12-04T04:40:05.000000Z")
        #expect(json.body[path: ["spec", "leaseTransitions"]] == 0)

        // A merge patch (JSON body, as upstream allows only patch types) answered in protobuf.
        let patched = await client.send("PATCH", Self.leases + "/lock", body: Array(#"{"spec":{"holderIdentity":"node-b"}}"#.utf8),
                                        contentType: "application/merge-patch+json")
        #expect(patched.status == 200)
        #expect(try patched.object().message.message(2)?.string(1) == "node-b")

        // An update in protobuf with the resourceVersion read back.
        let rv = try #require(try patched.object().message.message(1)?.string(6))
        let update = PB().message(1, PB().string(1, "lock").string(3, "default").string(6, rv))
            .message(2, PB().string(1, "node-c").int(2, 30).message(4, PB().int(1, 1_796_359_300).int(2, 7_000)))
        let updated = await client.send("PUT", Self.leases + "/lock", body: PB.envelope("coordination.k8s.io/v1", "Lease", update))
        #expect(updated.status == 200)
        #expect(try await s.request("GET", Self.leases + "/lock").body[path: ["spec", "renewTime"]] == "2026-12-04T04:41:40.000007Z")

        let list = await client.send("GET", Self.leases)
        #expect(list.status == 200)
        let (_, listKind, leaseList) = try list.object()
        #expect(listKind == "LeaseList")
        #expect(try leaseList.messages(2).map { try $0.message(1)?.string(1) } == ["lock"])
        #expect(!(try leaseList.message(1)?.string(2) ?? "").isEmpty)

        // A DeleteOptions body in protobuf: a precondition that does not hold is a 409 Status in protobuf.
        let wrongUID = PB().message(2, PB().string(1, "not-the-uid"))
        let refused = await client.send("DELETE", Self.leases + "/lock", body: PB.envelope("coordination.k8s.io/v1", "DeleteOptions", wrongUID))
        #expect(refused.status == 409)
        let (_, statusKind, status) = try refused.object()
        #expect(statusKind == "Status" && status.int(6) == 409 && status.string(4) == "Conflict")
        #expect(status.string(3)?.contains("Precondition failed: UID in precondition: not-the-uid") == true)
        let uid = try #require(meta.string(5))
        let options = PB().int(1, 0).message(2, PB().string(1, uid)).string(4, "Background")
        let deleted = await client.send("DELETE", Self.leases + "/lock", body: PB.envelope("meta.k8s.io/v1", "DeleteOptions", options))
        #expect(deleted.status == 200)
        #expect(try deleted.object().kind == "Status")
        let missing = await client.send("GET", Self.leases + "/lock")
        #expect(missing.status == 404)
        #expect(try missing.object().message.string(4) == "NotFound")

        var types: [String] = []
        while types.count < 4, let (type, raw) = try await watched.next() {
            types.append(type)
            #expect(try PBMessage.envelope(raw).kind == "Lease")
        }
        #expect(types == ["ADDED", "MODIFIED", "MODIFIED", "DELETED"])
    }

    @Test func podsAndEventsAreWrittenAndReadInProtobuf() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let client = ProtobufOnlyClient(server: s)
        // core/v1 Pod{metadata, spec{containers[{name, image, ports[{containerPort, protocol}], resources{limits}}]}}.
        let limits = PB().string(1, "cpu").message(2, PB().string(1, "250m"))
        let container = PB().string(1, "web").string(2, "nginx:1.27").message(6, PB().int(3, 80).string(4, "TCP"))
            .message(8, PB().message(1, limits))
        let pod = PB().message(1, PB().string(1, "web").message(11, PB().string(1, "app").string(2, "web")))
            .message(2, PB().message(2, container).int(4, 0))
        let created = await client.send("POST", "/api/v1/namespaces/default/pods", body: PB.envelope("v1", "Pod", pod))
        #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
        let stored = try await s.request("GET", "/api/v1/namespaces/default/pods/web").body
        #expect(stored[path: ["metadata", "labels", "app"]] == "web")
        #expect(stored[path: ["spec", "containers"]]?.array?.first?["ports"] == [["containerPort": 80, "protocol": "TCP"]])
        #expect(stored[path: ["spec", "containers"]]?.array?.first?[path: ["resources", "limits", "cpu"]] == "250m")
        #expect(stored[path: ["spec", "terminationGracePeriodSeconds"]] == 0)
        let read = await client.send("GET", "/api/v1/namespaces/default/pods/web")
        let readSpec = try #require(try read.object().message.message(2))
        #expect(try readSpec.messages(2).first?.string(2) == "nginx:1.27")
        // Defaults the server filled in come back too (restartPolicy 3, dnsPolicy 6).
        #expect(readSpec.string(3) == "Always" && readSpec.string(6) == "ClusterFirst")

        // core/v1 Event{metadata, involvedObject, reason, message, firstTimestamp, count, type, eventTime, reportingComponent}.
        let event = PB().message(1, PB().string(1, "web.1")).message(2, PB().string(1, "Pod").string(3, "web").string(2, "default"))
            .string(3, "Pulled").string(4, "pulled nginx").message(6, PB().int(1, 1_796_359_205).int(2, 0)).int(8, 2).string(9, "Normal")
            .message(10, PB().int(1, 1_796_359_205).int(2, 42_000)).string(14, "kubelet").string(15, "node-a")
        let made = await client.send("POST", "/api/v1/namespaces/default/events", body: PB.envelope("v1", "Event", event))
        #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
        let eventJSON = try await s.request("GET", "/api/v1/namespaces/default/events/web.1").body
        #expect(eventJSON["firstTimestamp"] == "2026-12-04T04:40:05Z")
        #expect(eventJSON["eventTime"] == "2026-12-04T04:40:05.000042Z")
        #expect(eventJSON["count"] == 2 && eventJSON["reason"] == "Pulled")
        // Read back through events.k8s.io/v1 in protobuf: the same Event in that version's message (eventTime 2).
        let v1 = await client.send("GET", "/apis/events.k8s.io/v1/namespaces/default/events/web.1")
        let (eventsVersion, eventsKind, eventsV1) = try v1.object()
        #expect(eventsVersion == "events.k8s.io/v1" && eventsKind == "Event")
        let eventTime = try #require(try eventsV1.message(2))
        #expect(eventTime.int(1) == 1_796_359_205 && eventTime.int(2) == 42_000)

        // The status subresource as a kubelet writes it: a protobuf Pod with status{phase 1, conditions 2{type 1,
        // status 2, lastTransitionTime 4}, podIPs 12{ip 1}} under the resourceVersion read back.
        let rv = try #require(try read.object().message.message(1)?.string(6))
        let statusPod = PB().message(1, PB().string(1, "web").string(3, "default").string(6, rv))
            .message(2, PB().message(2, container))
            .message(3, PB().string(1, "Running").message(2, PB().string(1, "Ready").string(2, "True").message(4, PB().int(1, 1_796_359_205).int(2, 0)))
                .message(12, PB().string(1, "10.0.0.7")))
        let status = await client.send("PUT", "/api/v1/namespaces/default/pods/web/status", body: PB.envelope("v1", "Pod", statusPod))
        #expect(status.status == 200, "\(String(decoding: status.body, as: UTF8.self))")
        let afterStatus = try await s.request("GET", "/api/v1/namespaces/default/pods/web").body
        #expect(afterStatus[path: ["status", "phase"]] == "Running")
        #expect(afterStatus[path: ["status", "podIPs"]] == [["ip": "10.0.0.7"]])
        #expect(afterStatus[path: ["status", "conditions"]]?.array?.first?["lastTransitionTime"] == "2026-12-04T04:40:05Z")

        let pods = await client.send("GET", "/api/v1/namespaces/default/pods")
        #expect(try pods.object().kind == "PodList")
        let deleted = await client.send("DELETE", "/api/v1/namespaces/default/pods/web",
                                        body: PB.envelope("v1", "DeleteOptions", PB().int(1, 0)))
        #expect(deleted.status == 200)
        #expect(try deleted.object().kind == "Pod")
        let eventDeleted = await client.send("DELETE", "/api/v1/namespaces/default/events",
                                             body: PB.envelope("v1", "DeleteOptions", PB().string(4, "Background")))
        #expect(eventDeleted.status == 200)
        #expect(try eventDeleted.object().kind == "EventList")
        #expect(try await s.request("GET", "/api/v1/namespaces/default/events").body["items"]?.array?.isEmpty == true)
    }

    @Test func negotiationFallsBackToJSONWhereUpstreamHasNoProtobuf() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let client = ProtobufOnlyClient(server: s)
        // client-go's own Accept: protobuf first, JSON second.
        let both = "application/vnd.kubernetes.protobuf,application/json"
        #expect(await client.send("GET", "/api/v1/namespaces/default", accept: both).contentType == "application/vnd.kubernetes.protobuf")
        // Tables are JSON only upstream.
        let table = await client.send("GET", "/api/v1/namespaces",
                                      accept: "application/vnd.kubernetes.protobuf;as=Table;g=meta.k8s.io;v=v1,application/json;as=Table;g=meta.k8s.io;v=v1")
        #expect(table.contentType == "application/json" && String(decoding: table.body, as: UTF8.self).contains("\"Table\""))
        // Partial object metadata has a protobuf form.
        let partial = await client.send("GET", "/api/v1/namespaces",
                                        accept: "application/vnd.kubernetes.protobuf;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1")
        #expect(try partial.object().kind == "PartialObjectMetadataList")

        let crd: JSONValue = ["apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": ["name": "crontabs.example.com"],
                              "spec": ["group": "example.com", "scope": "Namespaced", "names": ["plural": "crontabs", "singular": "crontab", "kind": "CronTab"],
                                       "versions": [["name": "v1", "served": true, "storage": true,
                                                     "schema": ["openAPIV3Schema": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]]]]]]
        #expect(try await s.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).status == 201)
        let crs = "/apis/example.com/v1/namespaces/default/crontabs"
        try await eventually { try await s.request("GET", crs).status == 200 }
        // A custom resource: protobuf only is 406; with JSON beside it, JSON.
        #expect(await client.send("GET", crs).status == 406)
        let json = await client.send("GET", crs, accept: both)
        #expect(json.status == 200 && json.contentType == "application/json")
        // A metadata-only watch of custom resources (the garbage collector's) is protobuf, its bookmarks too.
        let metadataOnly = "application/vnd.kubernetes.protobuf;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
        let (_, events) = try await client.watch(crs + "?watch=true&allowWatchBookmarks=true", accept: metadataOnly)
        var watched = events.makeAsyncIterator()
        let cronTab: JSONValue = ["apiVersion": "example.com/v1", "kind": "CronTab", "metadata": ["name": "t1"], "spec": ["cron": "* * * * *"]]
        #expect(try await s.request("POST", crs, cronTab).status == 201)
        var seen: [String: String] = [:]
        while seen.count < 2, let (type, raw) = try await watched.next() {
            let (apiVersion, kind, _) = try PBMessage.envelope(raw)
            #expect(apiVersion == "meta.k8s.io/v1" && kind == "PartialObjectMetadata")
            seen[type] = kind
        }
        #expect(Set(seen.keys) == ["ADDED", "BOOKMARK"])
        // The CRD itself is a built-in kind: protobuf, its schema's JSON names intact.
        let read = await client.send("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/crontabs.example.com")
        #expect(try read.object().kind == "CustomResourceDefinition")
        #expect(try ProtobufDecoder.decode(read.body)[path: ["spec", "versions"]]?.array?.first?[path: ["schema", "openAPIV3Schema", "x-kubernetes-preserve-unknown-fields"]] == true)
    }

    @Test func optionBodiesAndSubresourcesInProtobuf() async throws {
        let s = try await ServiceAccountTests.start()
        defer { Task { await s.stop() } }
        let client = ProtobufOnlyClient(server: s)
        let deployment: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
                                     "spec": ["replicas": 1, "selector": ["matchLabels": ["app": "web"]],
                                              "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "nginx"]]]]]]
        #expect(try await s.request("POST", "/apis/apps/v1/namespaces/default/deployments", deployment).status == 201)
        let scaleURI = "/apis/apps/v1/namespaces/default/deployments/web/scale"
        let scale = await client.send("GET", scaleURI)
        let (scaleVersion, scaleKind, scaleMessage) = try scale.object()
        #expect(scaleVersion == "autoscaling/v1" && scaleKind == "Scale")
        #expect(try scaleMessage.message(2)?.int(1) == 1)
        // autoscaling/v1 Scale{metadata{name}, spec{replicas}}: zero replicas is Go's omitted zero on the wire.
        let toZero = PB().message(1, PB().string(1, "web").string(3, "default")).message(2, PB())
        let scaled = await client.send("PUT", scaleURI, body: PB.envelope("autoscaling/v1", "Scale", toZero))
        #expect(scaled.status == 200, "\(String(decoding: scaled.body, as: UTF8.self))")
        #expect(try await s.request("GET", "/apis/apps/v1/namespaces/default/deployments/web").body[path: ["spec", "replicas"]] == 0)

        // authentication/v1 TokenRequest{spec{audiences, expirationSeconds 4}} for serviceaccounts/token.
        let token = PB().message(2, PB().string(1, "api").int(4, 3600))
        let issued = await client.send("POST", "/api/v1/namespaces/default/serviceaccounts/default/token",
                                       body: PB.envelope("authentication.k8s.io/v1", "TokenRequest", token))
        #expect(issued.status == 201, "\(String(decoding: issued.body, as: UTF8.self))")
        let (_, tokenKind, tokenMessage) = try issued.object()
        #expect(tokenKind == "TokenRequest")
        #expect((try tokenMessage.message(3)?.string(1) ?? "").split(separator: ".").count == 3)

        // policy/v1 Eviction{metadata, deleteOptions{gracePeriodSeconds}}: no budget, so the pod goes.
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", PodBindingTests.pod("p")).status == 201)
        let eviction = PB().message(1, PB().string(1, "p").string(3, "default")).message(2, PB().int(1, 0))
        let evicted = await client.send("POST", "/api/v1/namespaces/default/pods/p/eviction", body: PB.envelope("policy/v1", "Eviction", eviction))
        #expect(evicted.status == 201)
        #expect(try evicted.object().message.string(2) == "Success")

        // core/v1 Binding{metadata{name}, target{kind 1, name 3}}.
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", PodBindingTests.pod("q")).status == 201)
        let binding = PB().message(1, PB().string(1, "q")).message(2, PB().string(1, "Node").string(3, "n1"))
        let bound = await client.send("POST", "/api/v1/namespaces/default/pods/q/binding", body: PB.envelope("v1", "Binding", binding))
        #expect(bound.status == 201)
        #expect(try await s.request("GET", "/api/v1/namespaces/default/pods/q").body[path: ["spec", "nodeName"]] == "n1")

        // The status subresource: Lease has none, a Deployment's status in protobuf.
        let dep = await client.send("GET", "/apis/apps/v1/namespaces/default/deployments/web/status")
        #expect(try dep.object().kind == "Deployment")
    }

    /// kubectl validates a `kind: List` against /openapi/v2 asked for only in gnostic's protobuf form; one dangling
    /// `$ref` makes it refuse the whole document.
    @Test func openAPIV2InGnosticProtobufWithEveryReferenceDefined() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let client = ProtobufOnlyClient(server: s)
        let reply = await client.send("GET", "/openapi/v2", accept: "application/com.github.proto-openapi.spec.v2@v1.0+protobuf")
        #expect(reply.status == 200 && reply.contentType == "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        // openapi.v2.Document{swagger 1, info 2, paths 8, definitions 9{NamedSchema 1{name 1, Schema 2}}}.
        let document = try PBMessage(reply.body)
        #expect(document.string(1) == "2.0")
        let definitions = try #require(try document.message(9)).messages(1)
        let names = Set(definitions.compactMap { $0.string(1) })
        #expect(names.contains("io.k8s.api.core.v1.Pod") && names.contains("io.k8s.api.apps.v1.DeploymentList"))
        let pod = try #require(try definitions.first { $0.string(1) == "io.k8s.api.core.v1.Pod" }?.message(2))
        // Schema.vendor_extension 31: NamedAny{name, Any{yaml 2}}.
        let gvk = try pod.messages(31).first { $0.string(1) == "x-kubernetes-group-version-kind" }
        #expect(try gvk?.message(2)?.string(2)?.contains(#""kind":"Pod""#) == true)
        #expect(try document.message(8)?.messages(2).contains { $0.string(1) == "/api/v1/namespaces/{namespace}/pods" } == true)

        // The definitions' references all resolve (kubectl builds its models from the definitions alone).
        let defined = try #require(try await s.request("GET", "/openapi/v2").body["definitions"]?.object)
        var dangling: Set<String> = []
        var rest = Substring(JSONWriter.string(.object(defined)))
        while let range = rest.range(of: "\"$ref\":\"#/definitions/") {
            rest = rest[range.upperBound...]
            let name = String(rest.prefix { $0 != "\"" })
            if defined[name] == nil { dangling.insert(name) }
        }
        #expect(dangling.isEmpty, "\(dangling.sorted())")
        // A client that takes JSON still gets JSON.
        #expect(await client.send("GET", "/openapi/v2", accept: "application/json").contentType == "application/json")
    }
}
