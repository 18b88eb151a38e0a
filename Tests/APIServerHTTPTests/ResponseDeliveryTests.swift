import Foundation
import KubeJSON
import NIOCore
import Testing

/// Responses arrive whole over HTTP/2 whatever the client's window and pace, and an HTTP/1.1 connection stays usable
/// after a watch ends on its own.
@Suite(.serialized) struct ResponseDeliveryTests {
    /// Before the fix the stream was closed as soon as the last DATA frame was queued: a list larger than the client's
    /// stream window (kubectl's is 4 MiB) ended in RST_STREAM CANCEL. 6 MB here, read through a 64 KiB window, slowly.
    @Test func aMultiMegabyteListArrivesWholeOverHTTP2ThroughASmallWindowAndASlowReader() async throws {
        let server = try await ServerHarness.start()
        defer { Task { await server.stop() } }
        try await server.fill("big", count: 120, bytes: 50_000)
        let client = try await HTTP2TestClient.connect(port: server.port, tls: try server.tlsContext(alpn: ["h2"]), streamWindow: 65535)
        defer { Task { await client.close() } }
        for pause in [nil, Duration.milliseconds(2)] {
            let response = try await client.get("/api/v1/namespaces/big/configmaps", pause: pause)
            #expect(response.status == 200)
            #expect(response.body.count > 6_000_000)
            let list = try JSONParser.parse(response.body)
            #expect(list["items"]?.array?.count == 120)
        }
    }

    /// Several big responses at once on one connection (streams share the connection window).
    @Test func concurrentBigResponsesOnOneHTTP2ConnectionAllArriveWhole() async throws {
        let server = try await ServerHarness.start()
        defer { Task { await server.stop() } }
        try await server.fill("big", count: 40, bytes: 50_000)
        let client = try await HTTP2TestClient.connect(port: server.port, tls: try server.tlsContext(alpn: ["h2"]), streamWindow: 1 << 20)
        defer { Task { await client.close() } }
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let response = try await client.get("/api/v1/namespaces/big/configmaps")
                    return try JSONParser.parse(response.body)["items"]?.array?.count ?? -1
                }
            }
            for try await count in group { #expect(count == 40) }
        }
    }

    /// A watch that ends on its own timeoutSeconds ends its chunked body, and the same connection then answers the
    /// next request at once (pooling clients such as Python's and Java's hung here).
    @Test func anHTTP1ConnectionCarriesTheNextRequestAfterAWatchTimesOut() async throws {
        let server = try await ServerHarness.start()
        defer { Task { await server.stop() } }
        let connection = try await HTTP1TestConnection(port: server.port, tls: try server.tlsContext(alpn: ["http/1.1"]))
        defer { Task { await connection.close() } }
        try await connection.send("GET /api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        let watch = try await connection.readResponse()
        #expect(watch.status == 200)
        #expect(watch.headers["transfer-encoding"] == "chunked")
        let started = Date()
        try await connection.send("GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\n\r\n")
        let next = try await connection.readResponse()
        #expect(next.status == 200)
        #expect(next.body.contains(#""name":"default""#))
        #expect(Date().timeIntervalSince(started) < 30)
    }
}
