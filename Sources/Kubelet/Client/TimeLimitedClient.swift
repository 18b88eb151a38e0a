import KubeClient
import KubeJSON

/// A client whose requests give up after `timeout` (client-go's rest.Config.Timeout, which upstream's kubelet sets
/// on its heartbeat client to the node status period): a heartbeat that hangs on a dead connection must fail in time
/// for the next one. Watches are not limited; they last as long as the server keeps them.
struct TimeLimitedClient: KubernetesClient {
    let base: any KubernetesClient
    let timeout: Duration

    init(_ base: any KubernetesClient, timeout: Duration) {
        self.base = base
        self.timeout = timeout
    }

    struct Timeout: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `request`, cancelling it when `timeout` passes first (the transport ends a cancelled exchange).
    private func limited<T: Sendable>(_ what: String, _ request: @escaping @Sendable () async throws -> T) async throws -> T {
        let timeout = self.timeout
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await request() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw Timeout(description: "\(what): no answer from the API server within \(timeout)")
            }
            return value
        }
    }

    func list(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> ObjectList {
        try await limited("list \(resource)") { try await base.list(resource, namespace: namespace, options: options) }
    }

    func watch(_ resource: ResourceType, namespace: String?, options: ListOptions) async throws -> AsyncThrowingStream<WatchEvent, any Error> {
        try await base.watch(resource, namespace: namespace, options: options)
    }

    func get(_ resource: ResourceType, namespace: String?, name: String, subresource: String?) async throws -> JSONValue {
        try await limited("get \(resource) \(name)") {
            try await base.get(resource, namespace: namespace, name: name, subresource: subresource)
        }
    }

    func create(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        try await limited("create \(resource)") {
            try await base.create(resource, namespace: namespace, object: object, subresource: subresource)
        }
    }

    func update(_ resource: ResourceType, namespace: String?, object: JSONValue, subresource: String?) async throws -> JSONValue {
        try await limited("update \(resource)") {
            try await base.update(resource, namespace: namespace, object: object, subresource: subresource)
        }
    }

    func patch(_ resource: ResourceType, namespace: String?, name: String, type: PatchType, body: JSONValue,
               subresource: String?) async throws -> JSONValue {
        try await limited("patch \(resource) \(name)") {
            try await base.patch(resource, namespace: namespace, name: name, type: type, body: body, subresource: subresource)
        }
    }

    func delete(_ resource: ResourceType, namespace: String?, name: String, options: DeleteOptions) async throws {
        try await limited("delete \(resource) \(name)") {
            try await base.delete(resource, namespace: namespace, name: name, options: options)
        }
    }

    func serverResources() async throws -> [DiscoveredResource] {
        try await limited("discovery") { try await base.serverResources() }
    }
}
