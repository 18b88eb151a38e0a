@testable import APIServer
import Foundation
import KubeJSON
import KubeStorage
import Logging

/// An in-process API server on a temp-dir embedded store; requests go straight to `handle`, no TLS. It runs no
/// controller but its own CustomResourceDefinition controller, as the kube-apiserver program: what
/// kube-controller-manager or kube-scheduler would do, a test does by hand.
struct TestServer {
    let api: APIServer
    let directory: String
    let store: EmbeddedStore

    static let admin = UserInfo(name: "kubernetes-admin", groups: ["kubeadm:cluster-admins", "system:authenticated"])
    static let superuser = UserInfo(name: "kubernetes-super-admin", groups: ["system:masters", "system:authenticated"])

    static func start(historyLimit: Int? = nil, kubelets: (any KubeletConnector)? = nil, proxyTransport: (any ConnectTransport)? = nil,
                      configure: (inout APIServerOptions) throws -> Void = { _ in }) async throws -> TestServer {
        let dir = NSTemporaryDirectory() + "kubestrap-apiserver-" + UUID().uuidString
        var storeOptions = EmbeddedStore.Options(directory: dir)
        if let historyLimit { storeOptions.historyLimit = historyLimit }
        let store = try EmbeddedStore(options: storeOptions)
        return try await launch(store: store, directory: dir, kubelets: kubelets, proxyTransport: proxyTransport, configure: configure)
    }

    /// The same data directory under a new APIServer, as a restart of the process would find it: the old server
    /// stopped (no controller pass still running) and its store closed (its writes durable, its lock let go) before
    /// the directory is opened again, so two stores never share it.
    func restarted(configure: (inout APIServerOptions) throws -> Void = { _ in }) async throws -> TestServer {
        await api.stop()
        await store.close()
        let store = try EmbeddedStore(options: .init(directory: directory))
        return try await Self.launch(store: store, directory: directory, kubelets: api.kubelets, proxyTransport: api.proxyTransport,
                                     configure: configure)
    }

    private static func launch(store: EmbeddedStore, directory dir: String, kubelets: (any KubeletConnector)? = nil,
                               proxyTransport: (any ConnectTransport)? = nil, configure: (inout APIServerOptions) throws -> Void) async throws -> TestServer {
        var options = APIServerOptions()
        options.serviceClusterIPRange = IPv4Range("10.96.0.0/12")!
        options.bookmarkInterval = 0.2
        try configure(&options)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let api = APIServer(options: options, storage: store, kubelets: kubelets, proxyTransport: proxyTransport, logger: logger)
        try await api.start()
        // RBAC learns the bootstrap bindings through its watch; wait until admin.conf's group is authorized.
        let server = TestServer(api: api, directory: dir, store: store)
        try await eventually { try await server.request("GET", "/api/v1/namespaces").status == 200 }
        // No kube-controller-manager here: the `default` service account its serviceaccount controller would make,
        // which the ServiceAccount admission plugin requires of a pod (a restart finds it there already).
        let account: JSONValue = ["apiVersion": "v1", "kind": "ServiceAccount", "metadata": ["name": "default"]]
        let made = try await server.request("POST", "/api/v1/namespaces/default/serviceaccounts", account)
        guard made.status == 201 || made.status == 409 else { throw TestFailure("default service account: \(made.text)") }
        return server
    }

    func stop() async {
        await api.stop()
        await store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct Reply {
        var status: Int
        var headers: [(String, String)]
        var body: JSONValue
        var text: String
    }

    func request(_ method: String, _ uri: String, _ body: JSONValue? = nil, user: UserInfo = TestServer.admin,
                 contentType: String = "application/json", accept: String? = nil, rawBody: [UInt8]? = nil,
                 headers extra: [(String, String)] = []) async throws -> Reply {
        var headers = [("content-type", contentType)]
        if let accept { headers.append(("accept", accept)) }
        headers += extra
        let request = APIRequest(method: method, uri: uri, headers: headers,
                                 body: rawBody ?? body.map { JSONWriter.write($0) } ?? [], user: user)
        let response = await api.handle(request)
        guard case .bytes(let bytes) = response.body else {
            return Reply(status: response.status, headers: response.headers, body: .null, text: "<stream>")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        return Reply(status: response.status, headers: response.headers, body: (try? JSONParser.parse(bytes)) ?? .null, text: text)
    }

    /// Opens a watch; its lines are collected in the background.
    func watch(_ uri: String, user: UserInfo = TestServer.admin) async throws -> WatchRecorder {
        let response = await api.handle(APIRequest(method: "GET", uri: uri, headers: [], body: [], user: user))
        guard case .stream(let stream) = response.body else {
            throw TestFailure("expected a stream, got \(response.status)")
        }
        return WatchRecorder(stream)
    }
}

/// Reads a watch stream on its own task so tests can wait for events with a deadline.
final class WatchRecorder: Sendable {
    private let lines = LockedValue<[[UInt8]]>([])
    private let ended = LockedValue<Bool>(false)
    private let task: Task<Void, Never>
    private let cursor = LockedValue<Int>(0)

    init(_ stream: AsyncStream<[UInt8]>) {
        let lines = self.lines, ended = self.ended
        task = Task {
            // A chunk may carry several events (one storage commit); split on newlines.
            for await chunk in stream {
                lines.value = lines.value + chunk.split(separator: 10).map(Array.init)
            }
            ended.value = true
        }
    }

    deinit { task.cancel() }

    func cancel() { task.cancel() }

    var isEnded: Bool { ended.value }

    /// The next event (type, object), within a deadline.
    func next(timeout: Double = 90) async throws -> (String, JSONValue) {
        let index = cursor.value
        try await eventually(timeout: timeout) { lines.value.count > index || ended.value }
        guard lines.value.count > index else { throw TestFailure("watch ended") }
        cursor.value = index + 1
        let event = try JSONParser.parse(lines.value[index])
        return (event["type"]?.string ?? "", event["object"] ?? .null)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Polls `condition` until it holds or the deadline passes (no sleeps as synchronisation).
func eventually(timeout: Double = 90, line: Int = #line, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    throw TestFailure("condition at line \(line) not met within \(timeout)s")
}

func configMap(_ name: String, labels: [String: String] = [:], data: [String: String] = ["k": "v"]) -> JSONValue {
    var cm: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": JSONValue(data)]
    if !labels.isEmpty { cm[path: ["metadata", "labels"]] = JSONValue(labels) }
    return cm
}
