@testable import APIServer
import KubeJSON
import Synchronization
import Testing

/// `pods/log` finds the pod's kubelet from its Node as upstream's kubelet client does.
@Suite struct PodLogsTests {
    /// Records where the apiserver would connect and answers with a line of log.
    final class Kubelets: KubeletConnector {
        let calls = Mutex<[String]>([])
        func get(host: String, port: Int, path: String) async throws -> APIResponse {
            calls.withLock { $0.append("\(host):\(port)\(path)") }
            return APIResponse(status: 200, headers: [("content-type", "text/plain")], body: .bytes(Array("hello\n".utf8)))
        }
    }

    static func logsFromNode(reporting port: JSONValue?) async throws -> (TestServer.Reply, [String]) {
        let kubelets = Kubelets()
        let s = try await TestServer.start(kubelets: kubelets)
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", "/api/v1/nodes", PodBindingTests.node("n1")).status == 201)
        var status: JSONValue = ["addresses": [["type": "InternalIP", "address": "10.0.0.7"]]]
        if let port { status["daemonEndpoints"] = ["kubeletEndpoint": ["Port": port]] }
        let patched = try await s.request("PATCH", "/api/v1/nodes/n1/status", ["status": status], contentType: "application/merge-patch+json")
        #expect(patched.status == 200, "\(patched.text)")
        var pod = WorkloadFixtures.pod("talker")
        pod[path: ["spec", "nodeName"]] = "n1"
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", pod).status == 201)
        let logs = try await s.request("GET", "/api/v1/namespaces/default/pods/talker/log")
        return (logs, kubelets.calls.withLock { $0 })
    }

    @Test func aNodeWithoutAKubeletPortIsReachedOnTheDefaultOne() async throws {
        for port: JSONValue? in [0, -5, nil] {
            let (logs, calls) = try await Self.logsFromNode(reporting: port)
            #expect(logs.status == 200 && logs.text == "hello\n", "port \(String(describing: port)): \(logs.text)")
            #expect(calls == ["10.0.0.7:10250/containerLogs/default/talker/c"], "port \(String(describing: port))")
        }
        let (logs, calls) = try await Self.logsFromNode(reporting: 10255)
        #expect(logs.status == 200 && calls == ["10.0.0.7:10255/containerLogs/default/talker/c"])
        // A port no socket can have is still refused, not trapped on.
        let (beyond, none) = try await Self.logsFromNode(reporting: 70000)
        #expect(beyond.status == 500 && none.isEmpty, "\(beyond.text)")
    }
}
