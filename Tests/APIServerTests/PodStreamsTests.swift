@testable import APIServer
import KubeJSON
import Testing

/// `pods/exec`, `pods/attach` and `pods/portforward`: the kubelet location handed to the HTTP server, the container
/// chosen as upstream's streamLocation does, and upstream's refusals.
@Suite struct PodStreamsTests {
    static func server(containers: [JSONValue] = [["name": "c", "image": "busybox"]], nodeName: String? = "n1") async throws -> TestServer {
        let s = try await TestServer.start(kubelets: PodLogsTests.Kubelets())
        #expect(try await s.request("POST", "/api/v1/nodes", PodBindingTests.node("n1")).status == 201)
        let status: JSONValue = ["addresses": [["type": "InternalIP", "address": "10.0.0.7"]],
                                 "daemonEndpoints": ["kubeletEndpoint": ["Port": 10333]]]
        #expect(try await s.request("PATCH", "/api/v1/nodes/n1/status", ["status": status], contentType: "application/merge-patch+json").status == 200)
        var pod = WorkloadFixtures.pod("web")
        pod[path: ["spec", "containers"]] = .array(containers)
        if let nodeName { pod[path: ["spec", "nodeName"]] = .string(nodeName) }
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", pod).status == 201)
        return s
    }

    func handle(_ s: TestServer, _ method: String, _ uri: String) async -> APIResponse {
        await s.api.handle(APIRequest(method: method, uri: uri, headers: [], body: [], user: TestServer.admin))
    }

    static func message(_ response: APIResponse) -> String {
        guard case .bytes(let b) = response.body, let v = try? JSONParser.parse(b) else { return "" }
        return v["message"]?.string ?? ""
    }

    @Test func execGoesToTheKubeletWithUpstreamParameters() async throws {
        let s = try await Self.server()
        defer { Task { await s.stop() } }
        let response = await handle(s, "POST", "/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=echo+hi%20there&stdin=true&stdout=true&tty=true")
        let upgrade = try #require(response.upgrade, "\(Self.message(response))")
        #expect(upgrade == StreamUpgrade(host: "10.0.0.7", port: 10333,
                                         path: "/exec/default/web/c?command=sh&command=-c&command=echo+hi+there&input=1&output=1&tty=1",
                                         isPortForward: false))
        let get = await handle(s, "GET", "/api/v1/namespaces/default/pods/web/attach?container=c&stdout=1&stderr=1")
        #expect(get.upgrade?.path == "/attach/default/web/c?output=1&error=1")
        let forward = await handle(s, "GET", "/api/v1/namespaces/default/pods/web/portforward?ports=8080")
        #expect(forward.upgrade == StreamUpgrade(host: "10.0.0.7", port: 10333, path: "/portForward/default/web?port=8080", isPortForward: true))
    }

    @Test func containerChoiceAndRefusalsAreUpstreams() async throws {
        let s = try await Self.server(containers: [["name": "a", "image": "busybox"], ["name": "b", "image": "busybox"]])
        defer { Task { await s.stop() } }
        let unnamed = await handle(s, "POST", "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true")
        #expect(unnamed.upgrade == nil && unnamed.status == 400)
        #expect(Self.message(unnamed) == "a container name must be specified for pod web, choose one of: [a b]")
        let unknown = await handle(s, "POST", "/api/v1/namespaces/default/pods/web/exec?container=x&command=ls&stdout=true")
        #expect(unknown.status == 400 && Self.message(unknown) == "container x is not valid for pod web")
        let noStreams = await handle(s, "POST", "/api/v1/namespaces/default/pods/web/exec?container=a&command=ls")
        #expect(noStreams.status == 400 && Self.message(noStreams) == "you must specify at least 1 of stdin, stdout, stderr")
        let badPort = await handle(s, "POST", "/api/v1/namespaces/default/pods/web/portforward?ports=0")
        #expect(badPort.status == 400 && badPort.upgrade == nil)
        let missing = await handle(s, "POST", "/api/v1/namespaces/default/pods/nope/exec?command=ls&stdout=true")
        #expect(missing.status == 404)
        let put = await handle(s, "PUT", "/api/v1/namespaces/default/pods/web/exec?container=a&command=ls&stdout=true")
        #expect(put.upgrade == nil && put.status >= 400)
    }

    @Test func aPodWithoutANodeHasNoKubeletToReach() async throws {
        let s = try await Self.server(nodeName: nil)
        defer { Task { await s.stop() } }
        let response = await handle(s, "POST", "/api/v1/namespaces/default/pods/web/exec?command=ls&stdout=true")
        #expect(response.upgrade == nil && response.status == 400)
        #expect(Self.message(response) == "pod web does not have a host assigned")
    }

    @Test func discoveryListsTheStreamingSubresources() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let reply = try await s.request("GET", "/api/v1")
        let names = (reply.body["resources"]?.array ?? []).compactMap { $0["name"]?.string }
        for name in ["pods/exec", "pods/attach", "pods/portforward"] { #expect(names.contains(name), "\(name)") }
        let exec = (reply.body["resources"]?.array ?? []).first { $0["name"]?.string == "pods/exec" }
        #expect(exec?["kind"]?.string == "PodExecOptions" && exec?["verbs"] == ["create", "get"])
    }
}
