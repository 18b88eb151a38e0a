import Foundation
import Testing
@testable import Kubelet
import KubeAPI
import KubeClient
import KubeJSON
import Synchronization

/// The container environment built from the API (ConfigMaps, Secrets, the downward API, resources), against a FakeClient.
@Suite struct EnvironmentResolverTests {
    static func context(_ dir: borrowing TempDir, api: (any KubernetesClient)?, events: PodEventSink? = nil) throws -> RuntimeContext {
        var configuration = KubeletConfiguration()
        configuration.podLogsDir = "\(dir.path)/log/pods"
        let settings = try KubeletSettings(configuration: configuration, rootDir: "\(dir.path)/root", nodeName: "n1")
        try FileManager.default.createDirectory(atPath: settings.rootDir, withIntermediateDirectories: true)
        var context = RuntimeContext(settings: settings, checkpoints: CheckpointStore(rootDir: settings.rootDir), prober: Prober(),
                                     logger: testLogger, hostname: "n1", events: events, api: api,
                                     volumes: VolumeManager(rootDir: settings.rootDir, api: api, logger: testLogger))
        context.configErrorMaxDelay = 0.05
        return context
    }

    static func pod(_ container: JSONValue, extra: JSONValue = .emptyObject) throws -> KubeletPod {
        var spec: JSONValue = ["nodeName": "n1", "containers": [container]]
        for (key, value) in extra.object ?? [:] { spec[key] = value }
        let json: JSONValue = ["apiVersion": "v1", "kind": "Pod",
                               "metadata": ["name": "web", "namespace": "default", "uid": "uid-web", "labels": ["app": "web"]],
                               "spec": spec]
        return try APIServerPodSource.kubeletPod(json).get()
    }

    static func configMap(_ name: String, _ data: [String: String]) -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": "default"], "data": .object(data.mapValues { .string($0) })]
    }

    static func secret(_ name: String, _ data: [String: String]) -> JSONValue {
        ["metadata": ["name": .string(name), "namespace": "default"],
         "data": .object(data.mapValues { .string(Base64.encode(Array($0.utf8))) })]
    }

    func resolve(_ container: JSONValue, api: (any KubernetesClient)?, events: PodEventSink? = nil) async throws -> [(String, String)] {
        let dir = try TempDir()
        let pod = try Self.pod(container)
        let context = try Self.context(dir, api: api, events: events)
        return try await ContainerEnvironment.resolve(container: try #require(pod.pod.spec.containers.first), pod: pod, context: context)
    }

    func configError(_ container: JSONValue, api: (any KubernetesClient)?) async throws -> String? {
        do {
            _ = try await resolve(container, api: api)
            return nil
        } catch let error as ContainerConfigError {
            return error.message
        }
    }

    @Test func envFromAndKeyRefsResolveInUpstreamsOrder() async throws {
        let api = FakeClient([(.configMaps, Self.configMap("settings", ["MODE": "fast", "LEVEL": "3", "1bad": "x", "ok.dotted": "y"])),
                              (.secrets, Self.secret("creds", ["password": "s3cret", "user": "admin"]))])
        let (stream, continuation) = AsyncStream<PodEvent>.makeStream()
        let container: JSONValue = [
            "name": "c", "image": "busybox", "command": ["sh"],
            "envFrom": [["configMapRef": ["name": "settings"]], ["prefix": "DB_", "secretRef": ["name": "creds"]]],
            "env": [
                ["name": "MODE", "value": "slow-$(LEVEL)"],
                ["name": "PASS", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "password"]]],
                ["name": "LVL", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "LEVEL"]]],
                ["name": "GREETING", "value": "$(DB_user) at $(MISSING) costs $$5"],
                ["name": "MAYBE", "valueFrom": ["configMapKeyRef": ["name": "absent", "key": "k", "optional": true]]],
                ["name": "MAYBEKEY", "valueFrom": ["secretKeyRef": ["name": "creds", "key": "nope", "optional": true]]],
                ["name": "POD", "valueFrom": ["fieldRef": ["fieldPath": "metadata.name"]]],
            ],
        ]
        let env = try await resolve(container, api: api, events: PodEventSink(continuation))
        let names = env.map(\.0)
        #expect(names == ["LEVEL", "ok.dotted", "DB_password", "DB_user", "MODE", "PASS", "LVL", "GREETING", "POD"])
        let values = Dictionary(env, uniquingKeysWith: { $1 })
        #expect(values["MODE"] == "slow-3")
        #expect(values["PASS"] == "s3cret" && values["DB_password"] == "s3cret" && values["LVL"] == "3")
        #expect(values["GREETING"] == "admin at $(MISSING) costs $5")
        #expect(values["MAYBE"] == nil && values["MAYBEKEY"] == nil && values["POD"] == "web")
        continuation.finish()
        var events: [PodEvent] = []
        for await event in stream { events.append(event) }
        #expect(events.count == 1)
        #expect(events.first?.reason == "InvalidEnvironmentVariableNames" && events.first?.type == "Warning" && events.first?.container == "")
        #expect(events.first?.message == "Keys [1bad] from the EnvFrom configMap default/settings were skipped since they are considered invalid environment variable names.")
    }

    @Test func missingObjectsAndKeysAreConfigErrorsWithUpstreamsWords() async throws {
        let api = FakeClient([(.configMaps, Self.configMap("settings", ["MODE": "fast"])),
                              (.secrets, Self.secret("creds", ["user": "admin"]))])
        func keyRef(_ kind: String, _ name: String, _ key: String) -> JSONValue {
            ["name": "c", "image": "busybox", "command": ["sh"], "env": [["name": "X", "valueFrom": [kind: ["name": .string(name), "key": .string(key)]]]]]
        }
        #expect(try await configError(keyRef("configMapKeyRef", "gone", "k"), api: api) == #"configmap "gone" not found"#)
        #expect(try await configError(keyRef("configMapKeyRef", "settings", "k"), api: api) == "couldn't find key k in ConfigMap default/settings")
        #expect(try await configError(keyRef("secretKeyRef", "gone", "k"), api: api) == #"secret "gone" not found"#)
        #expect(try await configError(keyRef("secretKeyRef", "creds", "k"), api: api) == "couldn't find key k in Secret default/creds")
        let envFrom: JSONValue = ["name": "c", "image": "busybox", "command": ["sh"], "envFrom": [["secretRef": ["name": "gone"]]]]
        #expect(try await configError(envFrom, api: api) == #"secret "gone" not found"#)
        let optionalFrom: JSONValue = ["name": "c", "image": "busybox", "command": ["sh"],
                                       "envFrom": [["configMapRef": ["name": "gone", "optional": true]]]]
        #expect(try await configError(optionalFrom, api: api) == nil)
        // A standalone kubelet has no client to read them with.
        #expect(try await configError(keyRef("configMapKeyRef", "settings", "MODE"), api: nil) == "couldn't get configMap default/settings, no kubeClient defined")
        // Another failure of the read is passed on as it was answered.
        #expect(try await configError(keyRef("secretKeyRef", "creds", "user"), api: RefusingClient())
                == #"secrets "creds" is forbidden: User "system:node:n1" cannot get resource "secrets""#)
        let badField: JSONValue = ["name": "c", "image": "busybox", "command": ["sh"],
                                   "env": [["name": "X", "valueFrom": ["fieldRef": ["fieldPath": "spec.nope"]]]]]
        #expect(try await configError(badField, api: api) == "unsupported fieldPath: spec.nope")
    }

    @Test func resourceFieldRefsDivideAndRoundUp() async throws {
        let container: JSONValue = [
            "name": "c", "image": "busybox", "command": ["sh"],
            "resources": ["limits": ["cpu": "1500m", "memory": "128Mi"], "requests": ["cpu": "250m"]],
            "env": [
                ["name": "CPU_LIMIT", "valueFrom": ["resourceFieldRef": ["resource": "limits.cpu"]]],
                ["name": "CPU_REQUEST_M", "valueFrom": ["resourceFieldRef": ["resource": "requests.cpu", "divisor": "1m"]]],
                ["name": "MEM_LIMIT_MI", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
                ["name": "MEM_REQUEST", "valueFrom": ["resourceFieldRef": ["resource": "requests.memory"]]],
                ["name": "STORAGE_LIMIT", "valueFrom": ["resourceFieldRef": ["resource": "limits.ephemeral-storage", "divisor": "1Ki"]]],
            ],
        ]
        let env = Dictionary(try await resolve(container, api: nil), uniquingKeysWith: { $1 })
        #expect(env["CPU_LIMIT"] == "2")
        #expect(env["CPU_REQUEST_M"] == "250")
        #expect(env["MEM_LIMIT_MI"] == "128")
        #expect(env["MEM_REQUEST"] == String(128 * 1024 * 1024))   // defaulted from the limit, as the API does
        // No limit: the node's allocatable.
        #expect(Int(env["STORAGE_LIMIT"] ?? "") ?? 0 > 0)
        let unsupported: JSONValue = ["name": "c", "image": "busybox", "command": ["sh"],
                                      "env": [["name": "X", "valueFrom": ["resourceFieldRef": ["resource": "limits.gpu"]]]]]
        #expect(try await configError(unsupported, api: nil) == "unsupported container resource : limits.gpu")
    }

    @Test func servicesBecomeVariablesUnlessLinksAreOff() async throws {
        func service(_ name: String, _ ip: String, _ ports: JSONValue) -> JSONValue {
            ["metadata": ["name": .string(name), "namespace": "default"], "spec": ["clusterIP": .string(ip), "ports": ports]]
        }
        let api = FakeClient([
            (.services, service("kubernetes", "10.96.0.1", [["name": "https", "port": 443, "protocol": "TCP"]])),
            (.services, service("my-db", "10.96.0.20", [["port": 5432], ["name": "metrics", "port": 9187, "protocol": "UDP"]])),
            (.services, service("headless", "None", [["port": 80]])),
        ])
        let container: JSONValue = ["name": "c", "image": "busybox", "command": ["sh"],
                                    "env": [["name": "URL", "value": "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"],
                                            ["name": "MY_DB_SERVICE_PORT", "value": "mine"]]]
        let env = try await resolve(container, api: api)
        let values = Dictionary(env, uniquingKeysWith: { $1 })
        #expect(env.prefix(2).map(\.0) == ["URL", "MY_DB_SERVICE_PORT"])
        #expect(values["URL"] == "https://10.96.0.1:443" && values["MY_DB_SERVICE_PORT"] == "mine")
        #expect(values["KUBERNETES_SERVICE_HOST"] == "10.96.0.1" && values["KUBERNETES_SERVICE_PORT_HTTPS"] == "443")
        #expect(values["KUBERNETES_PORT"] == "tcp://10.96.0.1:443" && values["KUBERNETES_PORT_443_TCP_PROTO"] == "tcp")
        #expect(values["KUBERNETES_PORT_443_TCP_ADDR"] == "10.96.0.1" && values["KUBERNETES_PORT_443_TCP_PORT"] == "443")
        #expect(values["MY_DB_SERVICE_HOST"] == "10.96.0.20" && values["MY_DB_SERVICE_PORT_METRICS"] == "9187")
        #expect(values["MY_DB_PORT"] == "tcp://10.96.0.20:5432" && values["MY_DB_PORT_9187_UDP"] == "udp://10.96.0.20:9187")
        #expect(!env.contains { $0.0.hasPrefix("HEADLESS_") })
        #expect(env.filter { $0.0 == "MY_DB_SERVICE_PORT" }.count == 1)

        let dir = try TempDir()
        let pod = try Self.pod(container, extra: ["enableServiceLinks": false])
        let unlinked = try await ContainerEnvironment.resolve(container: try #require(pod.pod.spec.containers.first), pod: pod,
                                                              context: try Self.context(dir, api: api))
        #expect(unlinked.contains { $0.0 == "KUBERNETES_SERVICE_HOST" } && !unlinked.contains { $0.0 == "MY_DB_SERVICE_HOST" })
    }

    @Test func quantitiesAreScaledExactly() {
        // A Double would make 9m ten millicores.
        for m in [1, 9, 13, 18, 26, 36, 51, 999, 1001] {
            #expect(Quantity.scaled("\(m)m", decimals: 3) == Int64(m), "\(m)m")
        }
        #expect(Quantity.scaled("1.5", decimals: 3) == 1500)
        #expect(Quantity.scaled("0.0001", decimals: 3) == 1)          // rounded up
        #expect(Quantity.scaled("1.5Gi", decimals: 0) == 1_610_612_736)
        #expect(Quantity.scaled("100M", decimals: 0) == 100_000_000)
        #expect(Quantity.scaled("2e3", decimals: 0) == 2000)
        #expect(Quantity.scaled("1E", decimals: 0) == 1_000_000_000_000_000_000)
        #expect(Quantity.scaled("8Ei", decimals: 3) == Int64.max)     // clamped, not trapped
        #expect(Quantity.scaled("123456789012345678901234567890", decimals: 3) == Int64.max)
        for bad in ["", "abc", "1.2.3", "1Qi", "--1", "1e999", "١٢"] { #expect(Quantity.scaled(bad, decimals: 0) == nil, "\(bad)") }
    }

    @Test func aDivisorThatDoesNotGoEvenlyRoundsUp() async throws {
        let container: JSONValue = ["name": "c", "image": "busybox", "command": ["sh"], "resources": ["limits": ["memory": "100M", "cpu": "9m"]],
                                    "env": [["name": "MEM", "valueFrom": ["resourceFieldRef": ["resource": "limits.memory", "divisor": "1Mi"]]],
                                            ["name": "CPU", "valueFrom": ["resourceFieldRef": ["resource": "limits.cpu", "divisor": "1m"]]]]]
        let env = Dictionary(try await resolve(container, api: nil), uniquingKeysWith: { $1 })
        #expect(env["MEM"] == "96" && env["CPU"] == "9")
    }

    /// A stop that comes while the environment is being read from the API starts no process.
    @Test func aStopDuringTheAPIReadStartsNothing() async throws {
        let dir = try TempDir()
        let api = HeldClient()
        let marker = "\(dir.path)/started"
        let pod = try Self.pod(["name": "c", "image": "busybox", "command": ["/bin/sh", "-c", .string("touch \(marker); sleep 30")],
                                "env": [["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "MODE"]]]]])
        let supervisor = ContainerSupervisor(container: try #require(pod.pod.spec.containers.first), pod: pod,
                                             context: try Self.context(dir, api: api), isInit: false)
        await supervisor.start(adopting: nil)
        #expect(await eventually { api.state.withLock { $0.asked } })
        let stop = Task { await supervisor.stop(grace: 1) }
        #expect(await eventually { await supervisor.isStopping })
        api.state.withLock { $0.released = true }
        await stop.value
        #expect(await supervisor.snapshot.pid == nil)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    /// An envFrom ConfigMap with very many keys costs a linear pass, and a later `env` entry still replaces one.
    @Test func manyKeysResolveQuickly() async throws {
        var data: [String: String] = [:]
        for i in 0..<50_000 { data["K\(i)"] = "\(i)" }
        let api = FakeClient([(.configMaps, Self.configMap("big", data))])
        let container: JSONValue = ["name": "c", "image": "busybox", "command": ["sh"], "envFrom": [["configMapRef": ["name": "big"]]],
                                    "env": [["name": "K7", "value": "seven $(K8)"]]]
        let start = Date()
        let env = try await resolve(container, api: api)
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(env.count == 50_000 && env.last?.0 == "K7" && env.last?.1 == "seven 8")
        let host = ContainerEnvironment.hostProcessEnvironment(env, hostname: "n1")
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(host.count == 50_003 && host.first?.0 == "PATH")
    }

    /// A host process gets a PATH, HOSTNAME and HOME unless the pod sets its own.
    @Test func hostProcessesGetDefaultsThePodMayReplace() {
        let env = ContainerEnvironment.hostProcessEnvironment([("PATH", "/opt/bin"), ("A", "1")], hostname: "n1")
        #expect(env.map(\.0) == ["HOSTNAME", "HOME", "PATH", "A"])
        #expect(env.map(\.1) == ["n1", "/root", "/opt/bin", "1"])
    }

    @Test func envVarNamesFollowApimachinery() {
        for good in ["A", "a_b", "-x", ".y", "A1.b-c"] { #expect(ContainerEnvironment.isEnvVarName(good), "\(good)") }
        for bad in ["", "1A", "a b", "a=b", "ä"] { #expect(!ContainerEnvironment.isEnvVarName(bad), "\(bad)") }
    }

    /// A container whose ConfigMap is missing waits with CreateContainerConfigError and a Failed event, and starts
    /// once the ConfigMap exists.
    @Test func aMissingConfigMapKeepsTheContainerWaitingUntilItAppears() async throws {
        let dir = try TempDir()
        let api = FakeClient()
        let (stream, continuation) = AsyncStream<PodEvent>.makeStream()
        let context = try Self.context(dir, api: api, events: PodEventSink(continuation))
        let pod = try Self.pod(["name": "c", "image": "busybox", "command": ["/bin/sh", "-c", "echo $MODE; sleep 30"],
                                "env": [["name": "MODE", "valueFrom": ["configMapKeyRef": ["name": "settings", "key": "MODE"]]]]])
        let supervisor = ContainerSupervisor(container: try #require(pod.pod.spec.containers.first), pod: pod, context: context, isInit: false)
        await supervisor.start(adopting: nil)
        #expect(await eventually { await supervisor.snapshot.state == .waiting(reason: "CreateContainerConfigError", message: #"configmap "settings" not found"#) })
        try api.insert(.configMaps, Self.configMap("settings", ["MODE": "fast"]))
        #expect(await eventually { await supervisor.snapshot.state.isRunning })
        let pid = try #require(await supervisor.snapshot.pid)
        let environ = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8).split(separator: "\0").map(String.init)
        #expect(environ.contains("MODE=fast") && environ.contains { $0.hasPrefix("PATH=") })
        await supervisor.stop(grace: 1)
        continuation.finish()
        var failed: [PodEvent] = []
        for await event in stream where event.reason == "Failed" { failed.append(event) }
        #expect(!failed.isEmpty && failed.allSatisfy { $0.type == "Warning" && $0.message == #"Error: configmap "settings" not found"# && $0.container == "c" })
    }
}

/// An apiserver whose ConfigMap reads answer only when the test says so (and take no notice of cancellation).
final class HeldClient: KubernetesClient, Sendable {
    let inner = FakeClient()
    let state = Mutex((asked: false, released: false))

    func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        try await inner.list(resource, namespace: namespace, options: options)
    }
    func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try await inner.watch(resource, namespace: namespace, options: options)
    }
    func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        guard resource.resource == "configmaps" else { return try await inner.get(resource, namespace: namespace, name: name, subresource: subresource) }
        state.withLock { $0.asked = true }
        while !state.withLock({ $0.released }) { try? await Task.sleep(for: .milliseconds(10)) }
        return EnvironmentResolverTests.configMap(name, ["MODE": "fast"])
    }
    func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        try await inner.create(resource, namespace: namespace, object: object, subresource: subresource)
    }
    func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        try await inner.update(resource, namespace: namespace, object: object, subresource: subresource)
    }
    func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
               subresource: String?) async throws -> JSONValue {
        try await inner.patch(resource, namespace: namespace, name: name, type: type, body: body, subresource: subresource)
    }
    func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws {
        try await inner.delete(resource, namespace: namespace, name: name, options: options)
    }
    func serverResources() async throws -> [DiscoveredResource] { [] }
}

/// An apiserver that lets the node read no Secret (and has no Services).
struct RefusingClient: KubernetesClient {
    func refuse(_ resource: ResourceType, _ name: String) -> APIError {
        APIError(code: 403, reason: "Forbidden",
                 message: #"\#(resource.resource) "\#(name)" is forbidden: User "system:node:n1" cannot get resource "\#(resource.resource)""#)
    }
    func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        ObjectList(items: [], resourceVersion: "1")
    }
    func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        throw refuse(resource, "")
    }
    func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        if resource.resource == "services" { throw APIError(code: 404, reason: "NotFound", message: "") }
        throw refuse(resource, name)
    }
    func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        throw refuse(resource, "")
    }
    func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        throw refuse(resource, "")
    }
    func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
               subresource: String?) async throws -> JSONValue {
        throw refuse(resource, name)
    }
    func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws {
        throw refuse(resource, name)
    }
    func serverResources() async throws -> [DiscoveredResource] { [] }
}
