@testable import APIServerHTTP
import Foundation
import NIOCore
import Testing

/// Connections that never finish their handshake, send their head slowly or sit idle are closed within the server's
/// deadlines (short ones here), and heads beyond the limit are refused, while normal requests keep working.
@Suite(.serialized) struct ConnectionLimitTests {
    static let short = ConnectionTimeouts(handshake: .seconds(1), requestHead: .seconds(1), idle: .seconds(2))

    @Test func aConnectionThatNeverStartsItsHandshakeIsClosed() async throws {
        let server = try await ServerHarness.start(timeouts: Self.short)
        defer { Task { await server.stop() } }
        // Timed from before the connect: the server's deadline runs from its accept, and on a loaded machine the
        // connect can return after most of that second has gone.
        let opened = Date()
        let silent = try await HTTP1TestConnection(port: server.port, tls: nil)
        try await eventually("the silent connection closed") { !silent.isOpen }
        #expect(Date().timeIntervalSince(opened) > 0.5)
    }

    @Test func aSlowRequestHeadIsCutOffAndNormalRequestsStillWork() async throws {
        let server = try await ServerHarness.start(timeouts: Self.short)
        defer { Task { await server.stop() } }
        let tls = try server.tlsContext(alpn: ["http/1.1"])
        let slow = try await HTTP1TestConnection(port: server.port, tls: tls)
        try await slow.send("GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\n")   // …and the rest never comes
        let normal = try await HTTP1TestConnection(port: server.port, tls: tls)
        defer { Task { await normal.close() } }
        try await normal.send("GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await normal.readResponse().status == 200)
        try await eventually("the slow connection closed") { !slow.isOpen }
    }

    @Test func anIdleKeepAliveConnectionIsClosedAfterItsResponse() async throws {
        let server = try await ServerHarness.start(timeouts: Self.short)
        defer { Task { await server.stop() } }
        let connection = try await HTTP1TestConnection(port: server.port, tls: try server.tlsContext(alpn: ["http/1.1"]))
        try await connection.send("GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try await connection.readResponse().status == 200)
        #expect(connection.isOpen)
        try await eventually("the idle connection closed") { !connection.isOpen }
    }

    @Test func anHTTP2ConnectionWithoutStreamsIsClosedWhenIdle() async throws {
        let server = try await ServerHarness.start(timeouts: Self.short)
        defer { Task { await server.stop() } }
        let client = try await HTTP2TestClient.connect(port: server.port, tls: try server.tlsContext(alpn: ["h2"]))
        #expect(try await client.get("/api/v1/namespaces/default").status == 200)
        try await eventually("the idle HTTP/2 connection closed") { !client.channel.isActive }
    }

    /// Go answers 431 beyond MaxHeaderBytes (1 MiB + 4 KiB on HTTP/1.1); NIO's default limit was 80 KiB.
    @Test func headsUpToOneMebibyteAreServedAndLargerOnesRefusedWith431() async throws {
        let server = try await ServerHarness.start()
        defer { Task { await server.stop() } }
        let tls = try server.tlsContext(alpn: ["http/1.1"])
        let fits = try await HTTP1TestConnection(port: server.port, tls: tls)
        defer { Task { await fits.close() } }
        try await fits.send("GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 1 << 19))\r\n\r\n")
        #expect(try await fits.readResponse().status == 200)
        let tooBig = try await HTTP1TestConnection(port: server.port, tls: tls)
        defer { Task { await tooBig.close() } }
        try await tooBig.send("GET /api/v1/namespaces/default HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: (1 << 20) + 8192))\r\n\r\n")
        let refused = try await tooBig.readResponse()
        #expect(refused.status == 431)
        try await eventually("the refused connection closed") { !tooBig.isOpen }
    }

    /// An HTTP/2 head beyond the advertised SETTINGS_MAX_HEADER_LIST_SIZE ends the connection at once.
    @Test func anOversizedHTTP2HeadIsRefusedPromptly() async throws {
        let server = try await ServerHarness.start()
        defer { Task { await server.stop() } }
        let client = try await HTTP2TestClient.connect(port: server.port, tls: try server.tlsContext(alpn: ["h2"]))
        // The first request lets the settings exchange finish, so the server's limit (not NIO's 16 KiB default) applies.
        #expect(try await client.get("/api/v1/namespaces/default").status == 200)
        #expect(try await client.get("/api/v1/namespaces/default", headers: [("x-mid", String(repeating: "a", count: 100_000))]).status == 200)
        let started = Date()
        await #expect(throws: (any Error).self) {
            _ = try await client.get("/api/v1/namespaces/default", headers: [("x-big", String(repeating: "a", count: (1 << 20) + 4096))])
        }
        #expect(Date().timeIntervalSince(started) < 20)
    }
}
