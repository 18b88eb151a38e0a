@testable import APIServer
import KubeJSON
import Synchronization
import Testing

/// `pods/proxy`, `services/proxy` and `nodes/proxy`: where a request goes, what goes with it, and upstream's refusals.
@Suite struct ConnectProxyTests {
    struct Sent: Sendable {
        var location: ProxyLocation
        var method: String
        var path: String
        var headers: [(String, String)]
        var body: [UInt8]
    }

    /// Records each request and answers with `reply` (or fails as a refused connection would).
    final class Backend: ConnectTransport {
        let sent = Mutex<[Sent]>([])
        let headers: [(String, String)]
        let fails: Bool

        init(headers: [(String, String)] = [("content-type", "text/plain")], fails: Bool = false) {
            self.headers = headers
            self.fails = fails
        }

        struct Refused: Error, CustomStringConvertible { var description: String }

        func send(to location: ProxyLocation, method: String, path: String, headers: [(String, String)],
                  body: [UInt8]) async throws -> AggregatedResponse {
            sent.withLock { $0.append(Sent(location: location, method: method, path: path, headers: headers, body: body)) }
            if fails { throw Refused(description: "dial tcp \(location.host):\(location.port ?? 80): connect: connection refused") }
            let (stream, continuation) = AsyncThrowingStream<[UInt8], any Error>.makeStream()
            continuation.yield(Array("hello from \(path)".utf8))
            continuation.finish()
            return AggregatedResponse(status: 200, headers: self.headers, body: stream)
        }

        var last: Sent? { sent.withLock { $0.last } }
        var count: Int { sent.withLock { $0.count } }
    }

    static func collect(_ response: APIResponse) async -> String {
        switch response.body {
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .stream(let s):
            var out: [UInt8] = []
            for await chunk in s { out += chunk }
            return String(decoding: out, as: UTF8.self)
        }
    }

    func raw(_ s: TestServer, _ method: String, _ uri: String, body: [UInt8] = [], headers: [(String, String)] = [],
             user: UserInfo = TestServer.admin) async -> (APIResponse, String) {
        let response = await s.api.handle(APIRequest(method: method, uri: uri, headers: headers, body: body, user: user))
        return (response, await Self.collect(response))
    }

    /// A pod `web` with a declared port 8080, given `ip` as its address.
    static func runningPod(_ s: TestServer, _ name: String = "web", ip: String) async throws {
        var pod = PodBindingTests.pod(name)
        pod[path: ["spec", "containers"]] = [["name": "c", "image": "busybox", "ports": [["containerPort": 8080]]]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/pods", pod).status == 201)
        let status = try await s.request("PATCH", "/api/v1/namespaces/default/pods/\(name)/status",
                                         ["status": ["podIP": .string(ip), "podIPs": [["ip": .string(ip)]]]],
                                         contentType: "application/merge-patch+json")
        #expect(status.status == 200, "\(status.text)")
    }

    @Test func podProxyGoesToThePodAddressWithPathQueryAndBody() async throws {
        let backend = Backend()
        let s = try await TestServer.start(proxyTransport: backend)
        defer { Task { await s.stop() } }
        try await Self.runningPod(s, ip: "10.244.0.5")
        let (got, text) = await raw(s, "GET", "/api/v1/namespaces/default/pods/web/proxy/healthz/?verbose=1",
                                    headers: [("authorization", "Bearer secret"), ("accept", "text/plain")])
        #expect(got.status == 200 && text == "hello from /healthz/?verbose=1", "\(text)")
        let sent = try #require(backend.last)
        #expect(sent.location == ProxyLocation(scheme: "http", host: "10.244.0.5", port: 8080))
        #expect(!sent.headers.contains { $0.0.lowercased() == "authorization" }, "the user's credentials stay with the apiserver")
        #expect(sent.headers.contains { $0 == ("X-Forwarded-Uri", "/api/v1/namespaces/default/pods/web/proxy/healthz/") })
        #expect(sent.headers.contains { $0.0 == "accept" && $0.1 == "text/plain" })
        // Every verb, the body passed on; `https:` and a port in the name.
        let (posted, _) = await raw(s, "POST", "/api/v1/namespaces/default/pods/https:web:8443/proxy/submit", body: Array("data".utf8))
        #expect(posted.status == 200)
        let post = try #require(backend.last)
        #expect(post.method == "POST" && post.path == "/submit" && post.body == Array("data".utf8))
        #expect(post.location == ProxyLocation(scheme: "https", host: "10.244.0.5", port: 8443))
        // Nothing after /proxy: a GET is redirected to the path with a slash, as upstream.
        let (redirect, _) = await raw(s, "GET", "/api/v1/namespaces/default/pods/web/proxy?a=b")
        #expect(redirect.status == 301)
        #expect(redirect.headers.contains { $0 == ("location", "/api/v1/namespaces/default/pods/web/proxy/?a=b") })
        #expect(backend.count == 2)
    }

    @Test func podProxyRefusesWhatUpstreamRefuses() async throws {
        let backend = Backend(fails: true)
        let s = try await TestServer.start(proxyTransport: backend)
        defer { Task { await s.stop() } }
        try await Self.runningPod(s, "local", ip: "127.0.0.1")
        let loopback = try await s.request("GET", "/api/v1/namespaces/default/pods/local/proxy/")
        #expect(loopback.status == 400 && loopback.body["message"] == "address not allowed", "\(loopback.text)")
        let badName = try await s.request("GET", "/api/v1/namespaces/default/pods/ftp:local:21/proxy/")
        #expect(badName.status == 400 && badName.body["message"] == "invalid pod request \"ftp:local:21\"", "\(badName.text)")
        let missing = try await s.request("GET", "/api/v1/namespaces/default/pods/none/proxy/")
        #expect(missing.status == 404)
        try await Self.runningPod(s, "remote", ip: "10.244.0.9")
        let refused = try await s.request("GET", "/api/v1/namespaces/default/pods/remote/proxy/")
        #expect(refused.status == 503 && refused.body["reason"] == "ServiceUnavailable")
        #expect(refused.body["message"] == "error trying to reach service: dial tcp 10.244.0.9:8080: connect: connection refused", "\(refused.text)")
    }

    @Test func serviceProxyResolvesThroughEndpointsToAReadyPod() async throws {
        let backend = Backend()
        let s = try await TestServer.start(proxyTransport: backend)
        defer { Task { await s.stop() } }
        try await Self.runningPod(s, ip: "10.244.0.5")
        let service: JSONValue = ["apiVersion": "v1", "kind": "Service", "metadata": ["name": "front"],
                                  "spec": ["selector": ["app": "web"], "ports": [["name": "http", "port": 80, "targetPort": 8080]]]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/services", service).status == 201)
        let noEndpoints = try await s.request("GET", "/api/v1/namespaces/default/services/front/proxy/")
        #expect(noEndpoints.status == 404, "\(noEndpoints.text)")
        let endpoints: JSONValue = ["apiVersion": "v1", "kind": "Endpoints", "metadata": ["name": "front"], "subsets": [[
            "addresses": [["ip": "10.244.0.5", "targetRef": ["kind": "Pod", "namespace": "default", "name": "web"]]],
            "ports": [["name": "http", "port": 8080, "protocol": "TCP"]]]]]
        #expect(try await s.request("POST", "/api/v1/namespaces/default/endpoints", endpoints).status == 201)
        for name in ["front:80", "front:http", "http:front:80"] {
            let (got, text) = await raw(s, "GET", "/api/v1/namespaces/default/services/\(name)/proxy/index.html")
            #expect(got.status == 200 && text == "hello from /index.html", "\(name): \(text)")
            #expect(backend.last?.location == ProxyLocation(scheme: "http", host: "10.244.0.5", port: 8080), "\(name)")
        }
        let wrongPort = try await s.request("GET", "/api/v1/namespaces/default/services/front:81/proxy/")
        #expect(wrongPort.status == 503 && wrongPort.body["message"] == "no service port 81 found for service \"front\"", "\(wrongPort.text)")
        let wrongName = try await s.request("GET", "/api/v1/namespaces/default/services/front:metrics/proxy/")
        #expect(wrongName.status == 503 && wrongName.body["message"] == "no endpoints available for service \"front:metrics\"", "\(wrongName.text)")
        // An address that is not (or no longer) the pod's is not used.
        let stale: JSONValue = ["subsets": [["addresses": [["ip": "10.244.0.6", "targetRef": ["kind": "Pod", "namespace": "default", "name": "web"]]],
                                             "ports": [["name": "http", "port": 8080]]]]]
        #expect(try await s.request("PATCH", "/api/v1/namespaces/default/endpoints/front", stale, contentType: "application/merge-patch+json").status == 200)
        let notPod = try await s.request("GET", "/api/v1/namespaces/default/services/front:80/proxy/")
        #expect(notPod.status == 503 && notPod.body["message"] == "no endpoints available for service \"front:80\"", "\(notPod.text)")
    }

    @Test func nodeProxyReachesTheKubeletWithItsCredentials() async throws {
        let backend = Backend()
        let s = try await TestServer.start(proxyTransport: backend)
        defer { Task { await s.stop() } }
        #expect(try await s.request("POST", "/api/v1/nodes", PodBindingTests.node("n1")).status == 201)
        let status: JSONValue = ["status": ["addresses": [["type": "InternalIP", "address": "10.0.0.7"]]]]
        #expect(try await s.request("PATCH", "/api/v1/nodes/n1/status", status, contentType: "application/merge-patch+json").status == 200)
        let (got, text) = await raw(s, "GET", "/api/v1/nodes/n1/proxy/pods")
        #expect(got.status == 200 && text == "hello from /pods", "\(text)")
        #expect(backend.last?.location == ProxyLocation(scheme: "https", host: "10.0.0.7", port: 10250, kubeletCredentials: true))
        _ = await raw(s, "GET", "/api/v1/nodes/n1:9100/proxy/metrics")
        #expect(backend.last?.location == ProxyLocation(scheme: "http", host: "10.0.0.7", port: 9100))
        // RBAC as upstream: edit has pods/proxy and services/proxy, not nodes/proxy.
        let binding: JSONValue = ["apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": ["name": "dev-edit"],
                                  "roleRef": ["apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"],
                                  "subjects": [["apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "dev"]]]
        #expect(try await s.request("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", binding).status == 201)
        let dev = UserInfo(name: "dev", groups: ["system:authenticated"])
        try await Self.runningPod(s, ip: "10.244.0.5")
        try await eventually { await raw(s, "GET", "/api/v1/namespaces/default/pods/web/proxy/", user: dev).0.status == 200 }
        let node = try await s.request("GET", "/api/v1/nodes/n1/proxy/pods", user: dev)
        #expect(node.status == 403, "\(node.text)")
        let roles = try await s.request("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/system:kubelet-api-admin")
        #expect(roles.status == 200 && roles.text.contains("nodes/proxy"))
    }

    @Test func schemeNamePortAsUpstreamSplitsIt() {
        #expect(SchemeNamePort("web") == SchemeNamePort(scheme: "", name: "web", port: ""))
        #expect(SchemeNamePort("web:8080") == SchemeNamePort(scheme: "", name: "web", port: "8080"))
        #expect(SchemeNamePort("https:web:443") == SchemeNamePort(scheme: "https", name: "web", port: "443"))
        #expect(SchemeNamePort("https:web:") == SchemeNamePort(scheme: "https", name: "web", port: ""))
        for bad in ["", ":80", "ftp:web:21", "a:b:c:d"] { #expect(SchemeNamePort(bad) == nil, "\(bad)") }
        #expect(ProxyAddress.isGlobalUnicast("10.1.2.3") && ProxyAddress.isGlobalUnicast("2001:db8::1"))
        for bad in ["127.0.0.1", "0.0.0.0", "169.254.1.1", "224.0.0.1", "255.255.255.255", "::1", "fe80::1", "", "host"] {
            #expect(!ProxyAddress.isGlobalUnicast(bad), "\(bad)")
        }
    }

    @Test func redirectsFromTheBackendComeBackThroughTheProxy() {
        let location = ProxyLocation(scheme: "http", host: "10.0.0.5", port: 8080)
        let prefix = "/api/v1/namespaces/default/pods/web/proxy"
        #expect(ResourceHandler.rewriteRedirect("/login", location: location, prefix: prefix) == prefix + "/login")
        #expect(ResourceHandler.rewriteRedirect("http://10.0.0.5:8080/a?b", location: location, prefix: prefix) == prefix + "/a?b")
        #expect(ResourceHandler.rewriteRedirect("https://example.com/x", location: location, prefix: prefix) == "https://example.com/x")
        #expect(ResourceHandler.rewriteRedirect("relative", location: location, prefix: prefix) == "relative")
        #expect(ResourceHandler.rewriteRedirect(prefix + "/already", location: location, prefix: prefix) == prefix + "/already")
    }
}
