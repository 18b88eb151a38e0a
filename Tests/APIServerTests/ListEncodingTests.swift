@testable import APIServer
import KubeJSON
import Testing

/// Lists are written as the store yields objects (stored bytes with the resourceVersion spliced in, Table rows one
/// at a time); what clients get must be what encoding the decoded objects whole gives.
@Suite struct ListEncodingTests {
    @Test func listItemsAreTheObjectsAsAGetReturnsThem() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        for i in 0..<5 {
            #expect(try await s.request("POST", "/api/v1/namespaces/default/configmaps",
                                        configMap("c\(i)", labels: ["i": "\(i)", "even": i % 2 == 0 ? "yes" : "no"])).status == 201)
        }
        let list = try await s.request("GET", "/api/v1/namespaces/default/configmaps")
        #expect(list.status == 200)
        #expect(list.body["kind"]?.string == "ConfigMapList" && list.body["apiVersion"]?.string == "v1")
        let items = list.body["items"]?.array ?? []
        for i in 0..<5 {
            let one = try await s.request("GET", "/api/v1/namespaces/default/configmaps/c\(i)")
            let listed = items.first { $0.metaName == "c\(i)" }
            #expect(listed == one.body, "c\(i)")
            #expect(listed.map { JSONWriter.write($0) } == JSONWriter.write(one.body))
        }
        // A selector decodes to filter; the items are the same bytes either way.
        let selected = try await s.request("GET", "/api/v1/namespaces/default/configmaps?labelSelector=even%3Dyes")
        let evens = selected.body["items"]?.array ?? []
        #expect(evens.map(\.metaName) == ["c0", "c2", "c4"])
        #expect(evens == items.filter { $0.metaLabels["even"] == "yes" })
        // Paging: the limit, a continue token, and the rest.
        let first = try await s.request("GET", "/api/v1/namespaces/default/configmaps?limit=2")
        #expect(first.body["items"]?.array?.count == 2)
        let token = try #require(first.body[path: ["metadata", "continue"]]?.string)
        #expect(first.body[path: ["metadata", "remainingItemCount"]]?.int ?? 0 >= 3)
        let rest = try await s.request("GET", "/api/v1/namespaces/default/configmaps?limit=100&continue=\(token)")
        #expect((first.body["items"]?.array ?? []) + (rest.body["items"]?.array ?? []) == items)
    }

    @Test func aTableListHasItsColumnsRowsAndListMetadata() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        for i in 0..<3 { _ = try await s.request("POST", "/api/v1/namespaces/default/configmaps", configMap("t\(i)")) }
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io"
        let table = try await s.request("GET", "/api/v1/namespaces/default/configmaps?limit=2", accept: accept)
        #expect(table.status == 200)
        #expect(table.body["kind"]?.string == "Table" && table.body["apiVersion"]?.string == "meta.k8s.io/v1")
        #expect(table.body["columnDefinitions"]?.array?.first?["name"]?.string == "Name")
        let rows = table.body["rows"]?.array ?? []
        #expect(rows.count == 2)
        #expect(rows.first?["cells"]?.array?.first?.string == "kube-root-ca.crt" || rows.first?["cells"]?.array?.first?.string == "t0")
        #expect(rows.first?[path: ["object", "kind"]]?.string == "PartialObjectMetadata")
        #expect(table.body[path: ["metadata", "continue"]]?.string?.isEmpty == false)
        #expect(table.body[path: ["metadata", "resourceVersion"]]?.string?.isEmpty == false)
        // The bytes are those of the whole Table encoded at once (keys sorted, rows last).
        #expect(Array(table.text.utf8) == JSONWriter.write(table.body))
    }
}
