@testable import APIServer
import KubeJSON
import Testing

@Suite struct WatchAndDiscoveryTests {
    @Test func watchFromAResourceVersionSeesChangesWithSelectorTransitions() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let list = try await s.request("GET", "/api/v1/namespaces/default/configmaps")
        let rv = try #require(list.body[path: ["metadata", "resourceVersion"]]?.string)
        let watch = try await s.watch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=\(rv)&labelSelector=app%3Dweb")
        defer { watch.cancel() }
        let created = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("w", labels: ["app": "web"])).body
        _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("other"))
        var changed = created
        changed["data"] = ["k": "2"]
        _ = try await s.request("PUT", "/api/v1/namespaces/default/configmaps/w", changed)
        var relabelled = try await s.request("GET", "/api/v1/namespaces/default/configmaps/w").body
        relabelled[path: ["metadata", "labels", "app"]] = "db"
        _ = try await s.request("PUT", "/api/v1/namespaces/default/configmaps/w", relabelled)
        let events = [try await watch.next(), try await watch.next(), try await watch.next()]
        #expect(events.map(\.0) == ["ADDED", "MODIFIED", "DELETED"])
        #expect(events.allSatisfy { $0.1.metaName == "w" })
    }

    @Test func watchWithoutResourceVersionStartsWithTheCurrentStateAndBookmarks() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("existing"))
        let watch = try await s.watch("/api/v1/namespaces/default/configmaps?watch=1&allowWatchBookmarks=true&timeoutSeconds=5")
        defer { watch.cancel() }
        let first = try await watch.next()
        #expect(first.0 == "ADDED" && first.1.metaName == "existing")
        let bookmark = try await watch.next()
        #expect(bookmark.0 == "BOOKMARK" && !bookmark.1.metaResourceVersion.isEmpty)
    }

    /// Upstream's watch cache: a resourceVersion the store has not reached is waited for briefly, then a 504 with
    /// cause ResourceVersionTooLarge (the largest int64 used to trap the etcd backend).
    @Test func tooLargeResourceVersionIsATimeoutWithItsCause() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let reply = try await s.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=9223372036854775807")
        #expect(reply.status == 504)
        #expect(reply.body["reason"]?.string == "Timeout")
        #expect(reply.body["message"]?.string?.hasPrefix("Timeout: Too large resource version: 9223372036854775807, current: ") == true)
        #expect(reply.body[path: ["details", "causes"]]?.array?.first?["reason"]?.string == "ResourceVersionTooLarge")
        #expect(try await s.request("GET", "/readyz").status == 200)
    }

    @Test func tooOldResourceVersionIsGone() async throws {
        let s = try await TestServer.start(historyLimit: 20)
        defer { Task { await s.stop() } }
        for i in 0..<60 { _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("c\(i)")) }
        let watch = try await s.watch("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=2")
        let (type, status) = try await watch.next()
        #expect(type == "ERROR" && status["code"]?.int == 410 && status["reason"]?.string == "Expired")
        #expect(status["message"]?.string?.hasPrefix("too old resource version: 2 (") == true)
    }

    @Test func discoveryAndTables() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let v1 = try await s.request("GET", "/api/v1")
        let names = v1.body["resources"]?.array?.compactMap { $0["name"]?.string } ?? []
        #expect(names.contains("pods") && names.contains("pods/status") && names.contains("namespaces"))
        let aggregated = try await s.request("GET", "/apis", accept: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
        #expect(aggregated.headers.contains { $0.1 == "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList" })
        #expect(aggregated.body["items"]?.array?.compactMap { $0.metaName }.contains("rbac.authorization.k8s.io") == true)
        let table = try await s.request("GET", "/api/v1/namespaces", accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
        #expect(table.body["kind"]?.string == "Table")
        #expect(table.body["columnDefinitions"]?.array?.compactMap { $0["name"]?.string } == ["Name", "Status", "Age"])
        #expect(table.body["rows"]?.array?.first?["cells"]?.array?[1] == "Active")
        let openapi = try await s.request("GET", "/openapi/v3")
        let path = try #require(openapi.body[path: ["paths", "api/v1", "serverRelativeURL"]]?.string)
        let doc = try await s.request("GET", path)
        #expect(doc.body[path: ["components", "schemas", "io.k8s.api.core.v1.Pod", "x-kubernetes-group-version-kind"]] != nil)
    }

    @Test func metricsCountRequests() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        _ = try await s.request("GET", "/api/v1/namespaces/default/configmaps")
        let metrics = try await s.request("GET", "/metrics")
        #expect(metrics.text.contains(#"apiserver_request_total{code="200",component="apiserver",group="",resource="configmaps",scope="namespace",subresource="",verb="LIST",version="v1"}"#))
        #expect(metrics.text.contains("apiserver_storage_request_duration_seconds_bucket"))
    }
}
