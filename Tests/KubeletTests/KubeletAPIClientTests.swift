import KubeClient
import KubeJSON
@testable import Kubelet
import Synchronization
import Testing

@Suite struct KubeletAPIClientTests {
    /// Upstream's onRepeatedHeartbeatFailure: the second heartbeat in a row that got no answer closes the connection;
    /// an error status is an answer over a working connection and closes nothing.
    @Test func repeatedHeartbeatFailuresWithoutAnAnswerDropTheConnection() async {
        let drops = Mutex(0)
        let api = KubeletAPIClient(client: FakeClient(), heartbeat: FakeClient(), server: "https://test",
                                   dropConnection: { drops.withLock { $0 += 1 } })
        await api.heartbeatFailed(TransportError("connection reset"), consecutive: 1)
        #expect(drops.withLock { $0 } == 0)
        await api.heartbeatFailed(TransportError("connection reset"), consecutive: 2)
        #expect(drops.withLock { $0 } == 1)
        await api.heartbeatFailed(APIError(code: 500, reason: "InternalError", message: "etcd away"), consecutive: 3)
        #expect(drops.withLock { $0 } == 1)
    }

    @Test func rateLimitsFollowKubeletConfiguration() throws {
        var configuration = KubeletConfiguration()
        var settings = try KubeletSettings(configuration: configuration, rootDir: "/r", nodeName: "n1")
        #expect(settings.kubeAPIQPS == 50 && settings.kubeAPIBurst == 100)
        #expect(settings.heartbeatTimeout == 10)
        configuration.kubeAPIQPS = 0
        configuration.kubeAPIBurst = 0
        settings = try KubeletSettings(configuration: configuration, rootDir: "/r", nodeName: "n1")
        #expect(settings.kubeAPIQPS == 5 && settings.kubeAPIBurst == 10)   // client-go's defaults, not "unlimited"
        configuration.kubeAPIBurst = -1
        #expect(throws: KubeletConfigError.self) { try KubeletSettings(configuration: configuration, rootDir: "/r", nodeName: "n1") }
        configuration.kubeAPIBurst = nil
        configuration.kubeAPIQPS = -1
        #expect(throws: KubeletConfigError.self) { try KubeletSettings(configuration: configuration, rootDir: "/r", nodeName: "n1") }
        #expect(!KubeletConfigFile.setButNotActedOn(configuration).contains("kubeAPIQPS"))
    }

    /// A request that hangs (a server that accepted the connection and answers nothing) fails after the timeout.
    @Test func heartbeatRequestsGiveUpAfterTheirTimeout() async throws {
        struct Hanging: KubernetesClient {
            func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList { try await hang() }
            func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> { try await hang() }
            func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue { try await hang() }
            func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue { try await hang() }
            func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue { try await hang() }
            func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
                       subresource: String?) async throws -> JSONValue { try await hang() }
            func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws { try await Task.sleep(for: .seconds(3600)) }
            func serverResources() async throws -> [DiscoveredResource] { try await hang() }
            func hang<T>() async throws -> T {
                try await Task.sleep(for: .seconds(3600))
                throw CancellationError()
            }
        }
        let client = TimeLimitedClient(Hanging(), timeout: .milliseconds(200))
        let start = ContinuousClock.now
        await #expect(throws: TimeLimitedClient.Timeout.self) { _ = try await client.get(.leases, namespace: "kube-node-lease", name: "n1") }
        // Far from the hour the request would hang; on a loaded 2-core machine running the whole suite the 200 ms
        // timer has been seen to fire 40 s late (the cooperative pool busy with other tests), so no tighter bound.
        #expect(ContinuousClock.now - start < .seconds(600))
    }
}
