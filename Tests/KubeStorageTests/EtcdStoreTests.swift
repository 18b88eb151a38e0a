import EtcdStorage
import Foundation
import KubeStorage
import KubestrapTesting
import Logging
import PKI
import Testing

/// A real etcd (Debian's etcd-server) on ephemeral loopback ports with its data in a temp dir, for one test. It is
/// tethered to the test process (it dies with it, even on a crash) and killed when this object goes away.
final class EtcdProcess {
    static let binary = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    /// etcd starts in well under a second; on a loaded 2-core machine it has taken tens of seconds.
    static let startTimeout: Duration = .seconds(90)

    private(set) var process: TetheredProcess
    let dir: String
    private var layout: Layout
    private(set) var attempts = 0
    var clientURL: String { layout.clientURL }

    private struct Layout {
        var ports: [Int]
        var clientURL: String
        var arguments: [String]
    }

    /// Starts etcd and waits until it listens on its ports. A port chosen free can be taken by another process before
    /// etcd binds it; then etcd exits at once saying so, and starts again on fresh ports.
    /// `takenClientPort` is for testing that: the first attempt gets it as its client port.
    static func start(extraArguments: [String] = [], scheme: String = "http", takenClientPort: Int? = nil) async throws -> EtcdProcess {
        guard let binary else { throw EtcdTestError("etcd is not installed") }
        let etcd = try EtcdProcess(binary: binary, extraArguments: extraArguments, scheme: scheme, clientPort: takenClientPort)
        for attempt in 1...5 {
            etcd.attempts = attempt
            if try await etcd.waitUntilListening() { return etcd }
            let log = etcd.log
            guard log.contains("address already in use"), attempt < 5 else {
                throw EtcdTestError("etcd (\(etcd.layout.arguments.joined(separator: " "))) exited before it listened on \(etcd.layout.ports) "
                                    + "(exit status \(etcd.process.exitStatus.map(String.init) ?? "?"), attempt \(attempt)); its log: \(log.suffix(1500))")
            }
            // The failed start may have begun a data dir for the old peer URL, which the new one would not match.
            try? FileManager.default.removeItem(atPath: etcd.dir)
            try FileManager.default.createDirectory(atPath: etcd.dir, withIntermediateDirectories: true)
            etcd.layout = try Self.layout(dir: etcd.dir, scheme: scheme, extraArguments: extraArguments)
            etcd.process = try Self.spawn(binary, etcd.layout, dir: etcd.dir)
        }
        throw EtcdTestError("etcd did not start")
    }

    private init(binary: String, extraArguments: [String], scheme: String, clientPort: Int?) throws {
        dir = NSTemporaryDirectory() + "kubestrap-etcd-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        layout = try Self.layout(dir: dir, scheme: scheme, extraArguments: extraArguments, clientPort: clientPort)
        process = try Self.spawn(binary, layout, dir: dir)
    }

    private static func layout(dir: String, scheme: String, extraArguments: [String], clientPort: Int? = nil) throws -> Layout {
        let clientPort = try clientPort ?? freeTCPPort()
        var peerPort = try freeTCPPort()
        while peerPort == clientPort { peerPort = try freeTCPPort() }
        let clientURL = "\(scheme)://127.0.0.1:\(clientPort)"
        let peerURL = "http://127.0.0.1:\(peerPort)"
        return Layout(ports: [clientPort, peerPort], clientURL: clientURL, arguments: [
            "--name", "test", "--data-dir", dir, "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
            "--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
            "--initial-cluster", "test=\(peerURL)", "--log-level", "error",
        ] + extraArguments)
    }

    private static func spawn(_ binary: String, _ layout: Layout, dir: String) throws -> TetheredProcess {
        _ = FileManager.default.createFile(atPath: dir + ".log", contents: nil)
        return try TetheredProcess(executable: binary, arguments: layout.arguments,
                                   standardOutput: FileHandle.nullDevice, standardError: FileHandle(forWritingAtPath: dir + ".log"))
    }

    var log: String { (try? String(contentsOfFile: dir + ".log", encoding: .utf8)) ?? "" }

    /// True once etcd itself listens on both its ports; false when it exited first.
    private func waitUntilListening() async throws -> Bool {
        if await process.waitUntilListening(on: layout.ports, timeout: Self.startTimeout) { return true }
        guard process.isRunning else { return false }
        throw EtcdTestError("etcd did not listen on \(layout.ports) within \(Self.startTimeout) (still running); its log: \(log.suffix(1500))")
    }

    /// Stops etcd and starts it again on the same ports and data: the connections a client holds are closed. The
    /// ports were etcd's a moment ago; if another process took one in between, this fails naming it.
    func restart() async throws {
        await process.stop()
        guard let binary = Self.binary else { throw EtcdTestError("etcd is not installed") }
        process = try Self.spawn(binary, layout, dir: dir)
        guard try await waitUntilListening() else {
            throw EtcdTestError("etcd did not start again on \(layout.ports) (exit status \(process.exitStatus.map(String.init) ?? "?")); its log: \(log.suffix(1500))")
        }
    }

    /// Polls until etcd answers a read, with a deadline.
    func waitUntilReady(_ store: EtcdStore) async throws {
        let deadline = ContinuousClock.now + Self.startTimeout
        var lastError = ""
        while ContinuousClock.now < deadline {
            do {
                _ = try await store.currentRevision()
                return
            } catch {
                lastError = "\(error)"
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw EtcdTestError("etcd at \(clientURL) did not answer (running: \(process.isRunning)); last error: \(lastError); its log: \(log.suffix(1500))")
    }

    deinit {
        process.killAndWait()
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: dir + ".log")
    }
}

struct EtcdTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite(.enabled(if: EtcdProcess.binary != nil, "needs etcd (apt-get install etcd-server)"), .serialized)
struct EtcdStoreTests {
    func withStore(_ body: (EtcdStore) async throws -> Void) async throws {
        let etcd = try await EtcdProcess.start()
        var options = EtcdStore.Options(servers: [etcd.clientURL])
        options.compactionInterval = .zero
        let store = try EtcdStore(options: options, logger: Logger(label: "test"))
        try await etcd.waitUntilReady(store)
        try await body(store)
        withExtendedLifetime(etcd) {}
    }

    @Test func createGetUpdateDelete() async throws { try await withStore { try await StorageConformance.createGetUpdateDelete($0) } }
    @Test func rangeWithPrefixAndPaging() async throws { try await withStore { try await StorageConformance.rangeWithPrefixAndPaging($0) } }
    @Test func concurrentWrites() async throws { try await withStore { try await StorageConformance.concurrentWritesReturnTheirOwnRevisions($0) } }
    @Test func watchFromRevision() async throws { try await withStore { try await StorageConformance.watchFromRevisionDeliversEachEventOnce($0) } }

    /// The revision comes from a client's resourceVersion: the largest one must neither trap nor fail the store.
    @Test func aWatchFromTheLargestRevisionDoesNotTrap() async throws {
        try await withStore { store in
            let watch = try await store.watch(prefix: "/registry/", afterRevision: .max)
            let task = Task { for try await _ in watch {} }
            _ = try await store.create("/registry/x", value: [1])
            task.cancel()
            #expect(try await store.currentRevision() > 1)
        }
    }

    @Test func aWatchFromCompactedHistoryIsRefusedWithTheCompactedRevision() async throws {
        try await withStore { store in
            let first = try await store.create("/registry/a", value: [1])
            _ = try await store.update("/registry/a", value: [2], expectedModRevision: first)
            let last = try await store.create("/registry/b", value: [3])
            try await store.compact(revision: last)
            // etcd says so on the stream, right after accepting the watch.
            await #expect(throws: StorageError.compacted(requested: first - 1, compactedRevision: last)) {
                for try await _ in try await store.watch(prefix: "/registry/", afterRevision: first - 1) {}
            }
            // From the compacted revision on, watching works.
            let stream = try await store.watch(prefix: "/registry/", afterRevision: last)
            _ = try await store.delete("/registry/a", expectedModRevision: nil)
            let batch = try await StorageConformance.events(from: stream) { !$0.isEmpty }
            #expect(batch.map(\.type) == [.delete] && batch.first?.kv.value == [2])
        }
    }

    /// kubeadm's layout: etcd serves TLS with client-certificate auth; the apiserver presents apiserver-etcd-client.
    @Test func talksToATLSEtcdWithAClientCertificate() async throws {
        let pki = NSTemporaryDirectory() + "kubestrap-etcd-pki-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: pki) }
        let caKey = try PrivateKey.generate(.ecdsaP256)
        let ca = try CertificateIssuer.selfSignedCA(commonName: "etcd-ca", key: caKey, validity: 3600)
        let authority = CertificateAuthority(certificate: ca, key: caKey)
        func issue(_ name: String, _ request: CertificateRequest) throws {
            let key = try PrivateKey.generate(.ecdsaP256)
            try CertificateStore.write(certificate: try CertificateIssuer.issue(request, for: key, by: authority, validity: 3600), key: key,
                                       to: CertificatePaths(directory: pki, baseName: name))
        }
        try issue("server", CertificateRequest(commonName: "etcd", altNames: AltNames(dnsNames: ["localhost"], ipAddresses: [IPAddress("127.0.0.1")].compactMap { $0 }),
                                               usages: [.serverAuth, .clientAuth]))
        try issue("client", CertificateRequest(commonName: "kube-apiserver-etcd-client", usages: [.clientAuth]))
        try CertificateStore.write(certificate: ca, key: caKey, to: CertificatePaths(directory: pki, baseName: "ca"))

        let etcd = try await EtcdProcess.start(extraArguments: ["--cert-file", "\(pki)/server.crt", "--key-file", "\(pki)/server.key",
                                                    "--client-cert-auth", "--trusted-ca-file", "\(pki)/ca.crt"], scheme: "https")
        var options = EtcdStore.Options(servers: [etcd.clientURL], caFile: "\(pki)/ca.crt", certFile: "\(pki)/client.crt", keyFile: "\(pki)/client.key")
        options.compactionInterval = .zero
        let store = try EtcdStore(options: options, logger: Logger(label: "test"))
        try await etcd.waitUntilReady(store)
        try await StorageConformance.createGetUpdateDelete(store)

        // Without the client certificate etcd refuses the connection.
        var anonymous = EtcdStore.Options(servers: [etcd.clientURL], caFile: "\(pki)/ca.crt")
        anonymous.compactionInterval = .zero
        await #expect(throws: StorageError.self) {
            try await EtcdStore(options: anonymous, logger: Logger(label: "test")).currentRevision()
        }
        withExtendedLifetime(etcd) {}
    }

    /// Pooled keep-alive connections die with the etcd that served them; reads after etcd is back must not fail on
    /// them (a closed connection noticed in time is skipped; one used in the moment it closes is retried, for reads).
    @Test func readsWorkOnTheFirstTryAfterEtcdRestarted() async throws {
        let etcd = try await EtcdProcess.start()
        var options = EtcdStore.Options(servers: [etcd.clientURL])
        options.compactionInterval = .zero
        let store = try EtcdStore(options: options, logger: Logger(label: "test"))
        try await etcd.waitUntilReady(store)
        // Several idle connections in the pool.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 { group.addTask { _ = try await store.create("/registry/r/\(i)", value: [UInt8(i)]) } }
            try await group.waitForAll()
        }
        try await etcd.restart()
        // A fresh store tells when the restarted etcd answers, without touching the first store's pool.
        let probe = try EtcdStore(options: options, logger: Logger(label: "probe"))
        try await etcd.waitUntilReady(probe)
        for i in 0..<4 {
            let kv = try await store.get("/registry/r/\(i)")
            #expect(kv?.value == [UInt8(i)])
        }
        withExtendedLifetime(etcd) {}
    }

    /// A port chosen free can be taken before etcd binds it: etcd exits saying so, and starts again on fresh ports.
    @Test func etcdStartsOnFreshPortsWhenItsPortWasTaken() async throws {
        let holder = try SilentServer()
        let etcd = try await EtcdProcess.start(takenClientPort: holder.port)
        #expect(!etcd.clientURL.hasSuffix(":\(holder.port)"))
        #expect(etcd.attempts == 2, "\(etcd.attempts) attempts")
        var options = EtcdStore.Options(servers: [etcd.clientURL])
        options.compactionInterval = .zero
        let store = try EtcdStore(options: options, logger: Logger(label: "test"))
        try await etcd.waitUntilReady(store)
        #expect(try await store.create("/registry/x", value: [1]) > 0)
    }

    @Test func anUnreachableEtcdIsUnavailableNamingTheServer() async throws {
        let port = try freeTCPPort()
        let store = try EtcdStore(options: .init(servers: ["http://127.0.0.1:\(port)"]), logger: Logger(label: "test"))
        let error = await #expect(throws: StorageError.self) { try await store.currentRevision() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("127.0.0.1:\(port)"))
    }

    @Test func badServerURLsAreRefusedWithTheFlagName() {
        for url in ["127.0.0.1:2379", "http://127.0.0.1", "unix:///run/etcd.sock"] {
            let error = #expect(throws: (any Error).self) { try EtcdStore(options: .init(servers: [url]), logger: Logger(label: "test")) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("--etcd-servers"))
        }
    }
}
