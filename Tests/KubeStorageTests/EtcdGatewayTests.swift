@testable import EtcdStorage
import Foundation
import KubeStorage
import Logging
import NIOCore
import NIOPosix
import Testing

/// The etcd client's failure paths, against a loopback listener that never answers: every call ends (answer, error
/// or cancellation) and gives its connection back or closes it; nothing traps, nothing is left open.
@Suite struct EtcdGatewayTests {
    static let longTimeout: Duration = .seconds(60)

    func gateway(_ server: SilentServer, timeout: TimeAmount = .seconds(60),
                 interceptor: (@Sendable (ChannelPipeline.SynchronousOperations) throws -> Void)? = nil) throws -> EtcdGateway {
        try EtcdGateway(endpoint: .init(url: "http://127.0.0.1:\(server.port)"), caFile: nil, certFile: nil, keyFile: nil,
                        timeout: timeout, interceptor: interceptor)
    }

    enum FailingWrite: String, CaseIterable, Sendable {
        /// The request never reaches the gateway's handler, as when the connection was torn down just before the write
        /// (a pooled connection that etcd closed): the crash reported in issue 11, "leaking promise".
        case beforeTheHandler
        /// The handler took the request, the socket write below it failed.
        case belowTheHandler
    }

    @Test(arguments: FailingWrite.allCases)
    func aWriteThatFailsThrowsAnEtcdErrorNamingTheCall(_ failing: FailingWrite) async throws {
        let server = try SilentServer()
        let timeout = TimeAmount.milliseconds(200)
        let gateway = try gateway(server, timeout: timeout) { pipeline in
            switch failing {
            case .beforeTheHandler: try pipeline.addHandler(FailWrites())
            case .belowTheHandler: try pipeline.addHandler(FailWrites(), position: .first)
            }
        }
        // A write (txn) and a read (range, which may be retried on a reused connection; this one is fresh).
        for path in ["/v3/kv/txn", "/v3/kv/range"] {
            let error = await #expect(throws: EtcdError.self) { try await gateway.call(path, ["key": "YQ=="]) }
            #expect(error?.description == "http://127.0.0.1:\(server.port)\(path): cannot send the request: \(InjectedWriteFailure())")
        }
        // An unfulfilled promise traps when it is freed, which is when the call's timeout task lets go of it: so the
        // test goes on until every event loop has passed that deadline.
        try await Self.everyEventLoopPassed(timeout + .milliseconds(100))
    }

    /// Returns once every event loop of the group the gateway uses has run a task scheduled `delay` from now (tasks
    /// run in deadline order, so any scheduled earlier have run or been dropped).
    static func everyEventLoopPassed(_ delay: TimeAmount) async throws {
        for loop in MultiThreadedEventLoopGroup.singleton.makeIterator() {
            try await loop.scheduleTask(in: delay) {}.futureResult.get()
        }
    }

    @Test func aServerThatNeverAnswersTimesOutNamingTheCallAndTheConnectionIsClosed() async throws {
        let server = try SilentServer()
        let gateway = try gateway(server, timeout: .milliseconds(300))
        let error = await #expect(throws: EtcdError.self) { try await gateway.call("/v3/kv/range", ["key": "YQ=="]) }
        #expect(error?.description == "http://127.0.0.1:\(server.port)/v3/kv/range: no answer within 300 ms")
        let connection = try await server.accept(timeout: Self.longTimeout)
        #expect(await connection.waitUntilClosed(timeout: Self.longTimeout), "the timed-out connection was left open")
    }

    @Test func aCancelledCallEndsAtOnceAndClosesItsConnection() async throws {
        let server = try SilentServer()
        // Far longer than the test may take: the call must end by the cancellation, not by the timeout.
        let gateway = try gateway(server, timeout: .seconds(600))
        let call = Task { try await gateway.call("/v3/kv/range", ["key": "YQ=="]) }
        let connection = try await server.accept(timeout: Self.longTimeout)
        #expect(try await connection.waitForBytes(containing: "POST /v3/kv/range", timeout: Self.longTimeout))
        call.cancel()
        let started = ContinuousClock.now
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(ContinuousClock.now - started < Self.longTimeout)
        #expect(await connection.waitUntilClosed(timeout: Self.longTimeout), "the cancelled call's connection was left open")
    }

    @Test func aWatchThatEtcdNeverAnswersEndsAfterTheTimeoutAndClosesItsConnection() async throws {
        let server = try SilentServer()
        // The deadline runs from the connect, so it must leave a loaded machine time to send the request.
        let (messages, _) = try await gateway(server, timeout: .seconds(2)).stream("/v3/watch", ["create_request": ["key": "YQ=="]])
        let error = await #expect(throws: EtcdError.self) { for try await _ in messages {} }
        #expect(error?.description == "http://127.0.0.1:\(server.port)/v3/watch: no answer within 2 s")
        let connection = try await server.accept(timeout: Self.longTimeout)
        #expect(await connection.waitUntilClosed(timeout: Self.longTimeout), "the unanswered watch's connection was left open")
    }

    @Test func aWatchWhoseReaderGoesAwayClosesItsConnection() async throws {
        let server = try SilentServer()
        let (messages, _) = try await gateway(server).stream("/v3/watch", ["create_request": ["key": "YQ=="]])
        let connection = try await server.accept(timeout: Self.longTimeout)
        #expect(try await connection.waitForBytes(containing: "POST /v3/watch", timeout: Self.longTimeout))
        let reader = Task { for try await _ in messages {} }
        reader.cancel()
        _ = await reader.result
        #expect(await connection.waitUntilClosed(timeout: Self.longTimeout), "the abandoned watch's connection was left open")
    }

    @Test func aWatchReaderThatFallsBehindEndsTheWatchInsteadOfBufferingWithoutBound() async throws {
        let server = try SilentServer()
        let (messages, _) = try await gateway(server).stream("/v3/watch", ["create_request": ["key": "YQ=="]])
        let connection = try await server.accept(timeout: Self.longTimeout)
        #expect(try await connection.waitForBytes(containing: "POST /v3/watch", timeout: Self.longTimeout))
        try connection.send(SilentServer.responseHead + String(repeating: #"{"result":{}}"# + "\n", count: EtcdGateway.streamBuffer + 100))
        // Nobody reads yet: the gateway hangs up once the reader is that far behind.
        #expect(await connection.waitUntilClosed(timeout: Self.longTimeout), "the watch kept buffering for a reader that did not read")
        var received = 0
        var ending: (any Error)?
        do {
            for try await _ in messages { received += 1 }
        } catch {
            ending = error
        }
        #expect(received == EtcdGateway.streamBuffer)
        #expect("\(ending.map { "\($0)" } ?? "no error")" == "the watch reader fell \(EtcdGateway.streamBuffer) messages behind")
    }

    @Test func closingTheGatewayEndsItsWatchesAndRefusesNewCalls() async throws {
        let server = try SilentServer()
        let gateway = try gateway(server)
        let (messages, _) = try await gateway.stream("/v3/watch", ["create_request": ["key": "YQ=="]])
        let connection = try await server.accept(timeout: Self.longTimeout)
        gateway.close()
        #expect(await connection.waitUntilClosed(timeout: Self.longTimeout), "closing the gateway left a watch open")
        await #expect(throws: EtcdError.self) { for try await _ in messages {} }
        let error = await #expect(throws: EtcdError.self) { try await gateway.call("/v3/kv/range", ["key": "YQ=="]) }
        #expect(error?.description.contains("closed") == true, "\(error.map { "\($0)" } ?? "")")
    }

    /// EtcdStore's relay between the gateway's stream and the reader's: when the reader leaves, the relay task ends
    /// and the connection to etcd is closed.
    @Test func anEtcdStoreWatchWhoseReaderGoesAwayClosesItsConnection() async throws {
        let server = try SilentServer()
        var options = EtcdStore.Options(servers: ["http://127.0.0.1:\(server.port)"])
        options.compactionInterval = .zero
        let store = try EtcdStore(options: options, logger: Logger(label: "test"))
        async let watch = store.watch(prefix: "/registry/", afterRevision: 5)
        let connection = try await server.accept(timeout: Self.longTimeout)
        #expect(try await connection.waitForBytes(containing: "POST /v3/watch", timeout: Self.longTimeout))
        try connection.send(SilentServer.responseHead + #"{"result":{"header":{"revision":"5"},"created":true}}"# + "\n")
        let stream = try await watch
        let reader = Task { for try await _ in stream {} }
        reader.cancel()
        _ = await reader.result
        #expect(await connection.waitUntilClosed(timeout: Self.longTimeout), "the abandoned watch's connection was left open")
    }
}

struct InjectedWriteFailure: Error, CustomStringConvertible {
    var description: String { "injected write failure" }
}

/// Fails every write that reaches it, as a connection closed under the writer does.
final class FailWrites: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = Any

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        promise?.fail(InjectedWriteFailure())
    }
}

/// A TCP listener on 127.0.0.1 that answers nothing by itself: the kernel completes connections in its backlog
/// without accept(), so a client connects and writes and then waits. `accept` takes a connection to look at what
/// the client sent, to answer it, or to see it hang up.
final class SilentServer: @unchecked Sendable {
    static let responseHead = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n"

    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw EtcdTestError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard listening else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw EtcdTestError("cannot listen on 127.0.0.1:0: \(reason)")
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }

    /// The next connection, polled until `timeout`.
    func accept(timeout: Duration) async throws -> Connection {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let connection = Glibc.accept(fd, nil, nil)
            if connection >= 0 {
                // Linux does not pass the listener's O_NONBLOCK on (and Glibc's module lacks accept4).
                _ = fcntl(connection, F_SETFL, fcntl(connection, F_GETFL) | O_NONBLOCK)
                _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
                return Connection(fd: connection)
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else {
                throw EtcdTestError("accept on 127.0.0.1:\(port): \(String(cString: strerror(errno)))")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw EtcdTestError("no client connected to 127.0.0.1:\(port) within \(timeout)")
    }

    final class Connection: @unchecked Sendable {
        let fd: Int32
        private var received: [UInt8] = []

        init(fd: Int32) { self.fd = fd }
        deinit { close(fd) }

        /// Polls until what the client sent contains `text`; false after `timeout` or when the client hung up first.
        func waitForBytes(containing text: String, timeout: Duration) async throws -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if String(decoding: received, as: UTF8.self).contains(text) { return true }
                guard read() else { return false }
                try await Task.sleep(for: .milliseconds(10))
            }
            return String(decoding: received, as: UTF8.self).contains(text)
        }

        /// Polls until the client closed the connection.
        func waitUntilClosed(timeout: Duration) async -> Bool {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                guard read() else { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return false
        }

        func send(_ text: String) throws {
            var bytes = Array(text.utf8)[...]
            while !bytes.isEmpty {
                let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0, errno == EAGAIN || errno == EINTR { continue }
                guard sent > 0 else { throw EtcdTestError("send: \(String(cString: strerror(errno)))") }
                bytes = bytes.dropFirst(sent)
            }
        }

        /// Takes what has arrived; false once the client hung up (or the connection broke).
        private func read() -> Bool {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if count > 0 {
                    received += buffer[..<count]
                    continue
                }
                if count < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return true }
                return false
            }
        }
    }
}
