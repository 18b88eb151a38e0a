import EtcdStorage
import Foundation
import KubeStorage
import Logging
import PKI
import Testing

/// A real etcd (Debian's etcd-server) on ephemeral loopback ports with its data in a temp dir, for one test.
final class EtcdProcess {
    static let binary = ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }

    private(set) var process = Process()
    let dir = NSTemporaryDirectory() + "kubestrap-etcd-" + UUID().uuidString
    let clientURL: String
    private let arguments: [String]

    init(extraArguments: [String] = [], scheme: String = "http") throws {
        guard let binary = Self.binary else { throw EtcdTestError("etcd is not installed") }
        let clientPort = try Self.freePort()
        var peerPort = try Self.freePort()
        while peerPort == clientPort { peerPort = try Self.freePort() }
        clientURL = "\(scheme)://127.0.0.1:\(clientPort)"
        arguments = ["--name", "test", "--data-dir", dir, "--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
                             "--listen-peer-urls", "http://127.0.0.1:\(peerPort)", "--initial-advertise-peer-urls", "http://127.0.0.1:\(peerPort)",
                             "--initial-cluster", "test=http://127.0.0.1:\(peerPort)", "--log-level", "error"] + extraArguments
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: dir + ".log", contents: nil)
        try start(binary)
    }

    private func start(_ binary: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: dir + ".log")
        try process.run()
    }

    /// Stops etcd and starts it again on the same ports and data: the connections a client holds are closed.
    func restart() throws {
        process.terminate()
        process.waitUntilExit()
        guard let binary = Self.binary else { throw EtcdTestError("etcd is not installed") }
        try start(binary)
    }

    /// Polls until etcd answers a read, with a deadline.
    func waitUntilReady(_ store: EtcdStore) async throws {
        let deadline = Date().addingTimeInterval(60)
        var lastError = ""
        while Date() < deadline {
            do {
                _ = try await store.currentRevision()
                return
            } catch {
                lastError = "\(error)"
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOfFile: dir + ".log", encoding: .utf8)) ?? ""
        throw EtcdTestError("etcd at \(clientURL) did not answer (running: \(process.isRunning)); last error: \(lastError); its log: \(log.suffix(1500))")
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: dir + ".log")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw EtcdTestError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

struct EtcdTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite(.enabled(if: EtcdProcess.binary != nil, "needs etcd (apt-get install etcd-server)"), .serialized)
struct EtcdStoreTests {
    func withStore(_ body: (EtcdStore) async throws -> Void) async throws {
        let etcd = try EtcdProcess()
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
            for try await batch in stream {
                #expect(batch.map(\.type) == [.delete] && batch.first?.kv.value == [2])
                break
            }
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

        let etcd = try EtcdProcess(extraArguments: ["--cert-file", "\(pki)/server.crt", "--key-file", "\(pki)/server.key",
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
        let etcd = try EtcdProcess()
        var options = EtcdStore.Options(servers: [etcd.clientURL])
        options.compactionInterval = .zero
        let store = try EtcdStore(options: options, logger: Logger(label: "test"))
        try await etcd.waitUntilReady(store)
        // Several idle connections in the pool.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<4 { group.addTask { _ = try await store.create("/registry/r/\(i)", value: [UInt8(i)]) } }
            try await group.waitForAll()
        }
        try etcd.restart()
        // A fresh store tells when the restarted etcd answers, without touching the first store's pool.
        let probe = try EtcdStore(options: options, logger: Logger(label: "probe"))
        try await etcd.waitUntilReady(probe)
        for i in 0..<4 {
            let kv = try await store.get("/registry/r/\(i)")
            #expect(kv?.value == [UInt8(i)])
        }
        withExtendedLifetime(etcd) {}
    }

    @Test func anUnreachableEtcdIsUnavailableNamingTheServer() async throws {
        let port = try EtcdProcess.freePort()
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
