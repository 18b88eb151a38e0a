import Glibc
import KubeAPI
import KubeStreams
@testable import Kubelet
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// The kubelet's streaming pieces without a cluster: host exec, the port-forward SPDY session against a local
/// listener, and the relay to a container runtime's streaming server (a fake one here).
@Suite struct StreamingTests {
    /// Accepts raw connections on a free loopback port.
    struct Listener {
        let port: Int
        let accepted: AsyncStream<RawConnection>

        static func start() async throws -> Listener {
            let (stream, continuation) = AsyncStream<RawConnection>.makeStream()
            // The connection is taken over in the child's initializer, before a byte can arrive.
            let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0) { channel in
                    channel.eventLoop.makeCompletedFuture { try RawConnection.hijackSynchronously(channel) }
                }
            let port = server.channel.localAddress?.port ?? 0
            Task {
                try await server.executeThenClose { inbound in
                    for try await child in inbound { continuation.yield(child) }
                }
            }
            return Listener(port: port, accepted: stream)
        }
    }

    static func readAll(_ connection: RawConnection) async -> [UInt8] {
        var out: [UInt8] = []
        for await var chunk in connection.inbound { out += chunk.readBytes(length: chunk.readableBytes) ?? [] }
        return out
    }

    @Test func hostExecRunsWithTheEnvironmentAndDirectoryAndReportsTheExitCode() async throws {
        let exec = try await HostExec.start(command: ["sh", "-c", "echo $GREETING; pwd; echo oops >&2; exit 3"],
                                            environment: [("PATH", HostProcess.defaultPath), ("GREETING", "hello")],
                                            workingDir: "/tmp", containerPID: nil, stdin: false, stdout: true, stderr: true, tty: false)
        let out = try #require(exec.stdout), err = try #require(exec.stderr)
        async let stdout = Self.readAll(out)
        async let stderr = Self.readAll(err)
        #expect(await exec.waitForExit() == 3)
        #expect(String(decoding: await stdout, as: UTF8.self) == "hello\n/tmp\n")
        #expect(String(decoding: await stderr, as: UTF8.self) == "oops\n")
    }

    @Test func hostExecReadsStdinUntilItIsClosedAndRefusesUnknownCommands() async throws {
        let exec = try await HostExec.start(command: ["cat"], environment: [("PATH", HostProcess.defaultPath)], workingDir: nil,
                                            containerPID: nil, stdin: true, stdout: true, stderr: false, tty: false)
        let input = try #require(exec.input), out = try #require(exec.stdout)
        async let stdout = Self.readAll(out)
        try await input.write(Array("piped through\n".utf8))
        input.close()
        #expect(await exec.waitForExit() == 0)
        #expect(String(decoding: await stdout, as: UTF8.self) == "piped through\n")
        await #expect(throws: HostExec.Failure.self) {
            _ = try await HostExec.start(command: ["no-such-command-here"], environment: [], workingDir: nil, containerPID: nil,
                                         stdin: false, stdout: true, stderr: true, tty: false)
        }
    }

    @Test func hostExecOnATerminalSeesItsSize() async throws {
        let exec = try await HostExec.start(command: ["sh", "-c", "read line; stty size; echo got $line"],
                                            environment: [("PATH", HostProcess.defaultPath)], workingDir: nil, containerPID: nil,
                                            stdin: true, stdout: true, stderr: false, tty: true)
        let terminal = try #require(exec.input)
        exec.resize(width: 91, height: 33)
        async let output = Self.readAll(terminal)
        try await terminal.write(Array("x\n".utf8))
        #expect(await exec.waitForExit() == 0)
        let text = String(decoding: await output, as: UTF8.self)
        #expect(text.contains("33 91") && text.contains("got x"), "\(text)")
    }

    /// A SPDY client as kubectl's: an error and a data stream per connection, headers compressed across frames.
    @Test func portForwardSplicesADataStreamToTheLocalPort() async throws {
        let target = try await Listener.start()
        let echo = Task {
            for await connection in target.accepted {
                for await var chunk in connection.inbound {
                    try? await connection.write(Array("echo:".utf8) + (chunk.readBytes(length: chunk.readableBytes) ?? []))
                }
            }
        }
        defer { echo.cancel() }
        let kubeletSide = try await Listener.start()
        let client = try await RawConnection.connect(host: "127.0.0.1", port: kubeletSide.port, tls: nil)
        var accepted = kubeletSide.accepted.makeAsyncIterator()
        let server = try #require(await accepted.next())
        let pod = KubeletPod(pod: Pod(metadata: ObjectMeta(name: "web", namespace: "default"), spec: PodSpec(containers: [])), uid: "u1", sourcePath: "")
        let session = Task { await PortForwardSession(connection: server, pod: pod, logger: Logger(label: "test")).run() }
        let deflater = SPDYHeaderDeflater(), inflater = SPDYHeaderInflater()
        func syn(_ id: UInt32, _ type: String, port: Int) throws -> [UInt8] {
            SPDYFrame.synStream(streamID: id, flags: 0, headerBlock: try deflater.deflate(SPDYHeaderBlock.encode(
                [("streamType", type), ("port", String(port)), ("requestID", "0")]))).encoded
        }
        try await client.write(try syn(1, "error", port: target.port) + syn(3, "data", port: target.port))
        try await client.write(SPDYFrame.data(streamID: 3, flags: 0, payload: Array("ping".utf8)).encoded + SPDYFrame.ping(id: 5).encoded)
        var reader = SPDYFrame.Reader()
        var replies: Set<UInt32> = [], data: [UInt8] = [], pinged = false
        var chunks = client.inbound.makeAsyncIterator()
        while !(replies == [1, 3] && String(decoding: data, as: UTF8.self) == "echo:ping" && pinged) {
            guard var chunk = await chunks.next() else { break }
            reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
            while let frame = try reader.next() {
                switch frame {
                case .synReply(let id, _, let block):
                    #expect(try SPDYHeaderBlock.decode(try inflater.inflate(block)).isEmpty)
                    replies.insert(id)
                case .data(3, _, let payload): data += payload
                case .ping(5): pinged = true
                default: break
                }
            }
        }
        #expect(replies == [1, 3])
        #expect(String(decoding: data, as: UTF8.self) == "echo:ping")
        #expect(pinged)
        // A port nobody listens on: the failure comes on the error stream, both streams end.
        try await client.write(try syn(5, "error", port: 1) + syn(7, "data", port: 1))
        var errorText: [UInt8] = [], finished: Set<UInt32> = []
        while finished != [5, 7] {
            guard var chunk = await chunks.next() else { break }
            reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
            while let frame = try reader.next() {
                if case .synReply(_, _, let block) = frame { _ = try inflater.inflate(block) }
                if case .data(let id, let flags, let payload) = frame {
                    if id == 5 { errorText += payload }
                    if flags & SPDYFrame.flagFin != 0 { finished.insert(id) }
                }
            }
        }
        #expect(String(decoding: errorText, as: UTF8.self).hasPrefix("error forwarding port 1 to pod web, uid u1:"), "\(String(decoding: errorText, as: UTF8.self))")
        client.close()
        await session.value
    }

    @Test func runtimeStreamsAreRelayedToTheRuntimeURLWithoutV5() async throws {
        // The fake runtime streaming server: checks the request, switches protocols, echoes.
        let runtime = try await Listener.start()
        let fake = Task { () -> HTTPHead? in
            var connections = runtime.accepted.makeAsyncIterator()
            guard let connection = await connections.next() else { return nil }
            var inbound = connection.inbound.makeAsyncIterator()
            let head = await HTTPHead.read(from: &inbound)
            try? await connection.write(WebSocket.switchingProtocols(key: head?.header("sec-websocket-key") ?? "", protocol: RemoteCommand.v4))
            while var chunk = await inbound.next() { try? await connection.write(chunk.readBytes(length: chunk.readableBytes) ?? []) }
            return head
        }
        let kubeletSide = try await Listener.start()
        let client = try await RawConnection.connect(host: "127.0.0.1", port: kubeletSide.port, tls: nil)
        var accepted = kubeletSide.accepted.makeAsyncIterator()
        let server = try #require(await accepted.next())
        var headers = HTTPHeaders()
        headers.add(name: "Upgrade", value: "websocket")
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Sec-WebSocket-Key", value: "dGhlIHNhbXBsZSBub25jZQ==")
        headers.add(name: "Sec-WebSocket-Protocol", value: "v5.channel.k8s.io, v4.channel.k8s.io")
        headers.add(name: "Authorization", value: "Bearer not-for-the-runtime")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/exec/default/web/c?command=ls", headers: headers)
        let relay = Task { await RuntimeStreamRelay(logger: Logger(label: "test")).relay(head: head, to: "http://127.0.0.1:\(runtime.port)/exec/Tok3n", client: server) }
        var inbound = client.inbound.makeAsyncIterator()
        let answer = try #require(await HTTPHead.read(from: &inbound))
        #expect(answer.status == 101 && answer.header("sec-websocket-protocol") == RemoteCommand.v4)
        try await client.write(Array("hello".utf8))
        var echoed = answer.rest
        while echoed.count < 5, var chunk = await inbound.next() { echoed += chunk.readBytes(length: chunk.readableBytes) ?? [] }
        #expect(echoed == Array("hello".utf8))
        client.close()
        await relay.value
        let seen = try #require(await fake.value)
        #expect(seen.startLine == "GET /exec/Tok3n HTTP/1.1")
        #expect(seen.header("sec-websocket-protocol") == RemoteCommand.v4)
        #expect(seen.header("authorization") == nil && seen.header("host") == "127.0.0.1:\(runtime.port)")
        #expect(RuntimeStreamRelay.endpoint("ftp://x") == nil && RuntimeStreamRelay.endpoint("http://[::1]:99/p")?.port == 99)
    }
}


/// The WebSocket ↔ SPDY translation for a runtime's exec, against a fake runtime streaming server.
@Suite struct RuntimeExecTranslatorTests {
    @Test func stdinStdoutAndTheStatusCrossBetweenWebSocketAndSPDY() async throws {
        let runtime = try await StreamingTests.Listener.start()
        // The fake runtime: echoes stdin to stdout upper-cased, and on stdin's FIN sends a status on the error stream.
        let fake = Task { () -> (HTTPHead?, [String]) in
            var connections = runtime.accepted.makeAsyncIterator()
            guard let connection = await connections.next() else { return (nil, []) }
            var inbound = connection.inbound.makeAsyncIterator()
            let head = await HTTPHead.read(from: &inbound)
            try? await connection.write(HTTPHead(startLine: "HTTP/1.1 101 Switching Protocols",
                                                 headers: [("Connection", "Upgrade"), ("Upgrade", "SPDY/3.1"),
                                                           ("X-Stream-Protocol-Version", "v4.channel.k8s.io")]).serialized)
            var reader = SPDYFrame.Reader()
            reader.feed(head?.rest ?? [])
            let inflater = SPDYHeaderInflater(), deflater = SPDYHeaderDeflater()
            var types: [UInt32: String] = [:], opened: [String] = []
            while true {
                while let frame = try? reader.next() {
                    switch frame {
                    case .synStream(let id, _, let block):
                        let type = (try? SPDYHeaderBlock.decode(try inflater.inflate(block)))?.first { $0.0 == "streamtype" }?.1 ?? ""
                        types[id] = type
                        opened.append(type)
                        let reply = (try? deflater.deflate(SPDYHeaderBlock.encode([]))) ?? []
                        try? await connection.write(SPDYFrame.synReply(streamID: id, flags: 0, headerBlock: reply).encoded)
                    case .data(let id, let flags, let payload) where types[id] == "stdin":
                        let out = types.first { $0.value == "stdout" }?.key ?? 0
                        if !payload.isEmpty {
                            try? await connection.write(SPDYFrame.data(streamID: out, flags: 0, payload: Array(String(decoding: payload, as: UTF8.self).uppercased().utf8)).encoded)
                        }
                        if flags & SPDYFrame.flagFin != 0 {
                            let error = types.first { $0.value == "error" }?.key ?? 0
                            try? await connection.write(SPDYFrame.data(streamID: error, flags: SPDYFrame.flagFin,
                                                                       payload: RemoteCommand.status(command: ["cat"], exitCode: 4)).encoded)
                        }
                    default: break
                    }
                }
                guard var chunk = await inbound.next() else { break }
                reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
            }
            return (head, opened)
        }
        let kubeletSide = try await StreamingTests.Listener.start()
        let client = try await RawConnection.connect(host: "127.0.0.1", port: kubeletSide.port, tls: nil)
        var accepted = kubeletSide.accepted.makeAsyncIterator()
        let server = try #require(await accepted.next())
        let translator = RuntimeExecTranslator(logger: Logger(label: "test"))
        let endpoint = try #require(RuntimeStreamRelay.endpoint("http://127.0.0.1:\(runtime.port)/exec/abc"))
        let (connection, refusal, leftover) = try await translator.connect(endpoint)
        #expect(refusal == nil)
        let runtimeConnection = try #require(connection)
        let request = StreamRequest(kind: .exec, namespace: "default", pod: "p", container: "c", command: ["cat"],
                                    stdin: true, stdout: true, stderr: true)
        let session = Task {
            await translator.run(request: request, socket: WebSocketConnection(server), runtime: runtimeConnection, leftover: leftover)
        }
        let mask: [UInt8] = [1, 2, 3, 4]
        try await client.write(WebSocket.encode(WebSocket.Frame(opcode: .binary, payload: [RemoteCommand.stdin] + Array("hi".utf8)), mask: mask))
        try await client.write(WebSocket.encode(WebSocket.Frame(opcode: .binary, payload: [RemoteCommand.close, RemoteCommand.stdin]), mask: mask))
        var reader = WebSocket.MessageReader()
        var stdout: [UInt8] = [], status: [UInt8] = [], closed = false
        var chunks = client.inbound.makeAsyncIterator()
        while !closed, var chunk = await chunks.next() {
            reader.feed(chunk.readBytes(length: chunk.readableBytes) ?? [])
            while let event = try reader.next() {
                switch event {
                case .message(_, let payload) where payload.first == RemoteCommand.stdout: stdout += payload.dropFirst()
                case .message(_, let payload) where payload.first == RemoteCommand.error: status += payload.dropFirst()
                case .close: closed = true
                default: break
                }
            }
        }
        #expect(String(decoding: stdout, as: UTF8.self) == "HI")
        #expect(String(decoding: status, as: UTF8.self).contains(#""message":"4","reason":"ExitCode""#), "\(String(decoding: status, as: UTF8.self))")
        #expect(closed)
        await session.value
        let (head, opened) = await fake.value
        #expect(head?.startLine == "POST /exec/abc HTTP/1.1" && head?.header("x-stream-protocol-version") == "v4.channel.k8s.io")
        #expect(opened == ["error", "stdin", "stdout", "stderr"])
    }

    @Test func aRuntimeRefusalIsPassedBackAsItsAnswer() async throws {
        let runtime = try await StreamingTests.Listener.start()
        let fake = Task {
            var connections = runtime.accepted.makeAsyncIterator()
            guard let connection = await connections.next() else { return }
            var inbound = connection.inbound.makeAsyncIterator()
            _ = await HTTPHead.read(from: &inbound)
            try? await connection.write(HTTPHead.response(status: 404, headers: [], body: Array("unknown token".utf8)))
            connection.close()
        }
        let translator = RuntimeExecTranslator(logger: Logger(label: "test"))
        let (connection, refusal, _) = try await translator.connect(try #require(RuntimeStreamRelay.endpoint("http://127.0.0.1:\(runtime.port)/exec/x")))
        #expect(connection == nil)
        let text = String(decoding: try #require(refusal), as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 404 ") && text.hasSuffix("unknown token"), "\(text)")
        await fake.value
    }
}
