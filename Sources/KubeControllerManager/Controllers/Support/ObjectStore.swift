import ControllerRuntime
import KubeClient
import KubeJSON

/// One resource as a controller uses it: reads from the shared informer's cache, writes through the controller's
/// client. Reads never go to the API; writes that must start from the latest object (`guaranteedUpdate`) read it
/// from the API first and retry on conflict, as client-go's RetryOnConflict.
public struct ObjectStore: Sendable {
    public let resource: ResourceType
    public let client: any KubernetesClient
    public let informer: SharedInformer

    public init(_ resource: ResourceType, context: ControllerContext) {
        self.resource = resource
        client = context.client
        informer = context.informers.informer(resource)
    }

    public var cache: ObjectCache { informer.cache }

    /// Cached objects in `namespace` ("" for all namespaces or cluster-scoped).
    public func list(namespace: String = "") -> [JSONValue] {
        namespace.isEmpty ? cache.list() : cache.byIndex(Indexes.namespace, namespace)
    }

    public func get(namespace: String = "", name: String) -> JSONValue? {
        cache.get(namespace: resource.namespaced ? namespace : "", name: name)
    }

    @discardableResult
    public func create(namespace: String, object: JSONValue) async throws -> JSONValue {
        try await client.create(resource, namespace: resource.namespaced ? namespace : nil, object: object, subresource: nil)
    }

    public func delete(namespace: String, name: String, options: DeleteOptions = DeleteOptions()) async throws {
        try await client.delete(resource, namespace: resource.namespaced ? namespace : nil, name: name, options: options)
    }

    /// Reads the latest object, lets `transform` change it (nil: it is gone), writes it over that version; on a
    /// conflict reads again and retries (five attempts). `transform` throws to give up.
    @discardableResult
    public func guaranteedUpdate(namespace: String, name: String, subresource: String? = nil,
                                 transform: (JSONValue?) throws -> JSONValue) async throws -> JSONValue {
        let ns = resource.namespaced ? namespace : nil
        var attempt = 0
        while true {
            var current: JSONValue?
            do {
                current = try await client.get(resource, namespace: ns, name: name, subresource: nil)
            } catch let error as APIError where error.isNotFound {
                current = nil
            }
            let next = try transform(current)
            do {
                return try await client.update(resource, namespace: ns, object: next, subresource: subresource)
            } catch let error as APIError where error.isConflict && attempt < 4 {
                attempt += 1
            }
        }
    }

    /// Writes `status` over exactly the version it was computed from (upstream's UpdateStatus): a lost race or a
    /// vanished object is not an error, the change that caused it brings another sync. The object written, or nil.
    @discardableResult
    public func updateStatus(_ object: JSONValue, _ status: JSONValue) async throws -> JSONValue? {
        guard object["status"] != status else { return nil }
        var next = object
        next["status"] = status
        do {
            return try await client.update(resource, namespace: resource.namespaced ? object.metaNamespace : nil,
                                           object: next, subresource: "status")
        } catch let error as APIError where error.isConflict || error.isNotFound {
            return nil
        }
    }

    public var groupResource: String { resource.description }
}

extension APIError {
    static func conflict(_ resource: String, _ name: String, _ why: String) -> APIError {
        APIError(code: 409, reason: "Conflict", message: "Operation cannot be fulfilled on \(resource) \"\(name)\": \(why)")
    }

    static func notFound(_ resource: String, _ name: String) -> APIError {
        APIError(code: 404, reason: "NotFound", message: "\(resource) \"\(name)\" not found")
    }

    static let optimisticLockMessage = "the object has been modified; please apply your changes to the latest version and try again"
}
