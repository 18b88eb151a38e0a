import KubeAPI
import KubeJSON

/// Who asked and how: passed from the handler through admission into the store.
public struct RequestContext: Sendable {
    public var user: UserInfo
    public var dryRun: Bool
    public var subresource: String
    /// The manager recorded in managedFields: `?fieldManager=`, else the client's User-Agent product.
    public var fieldManager: String
    /// A server-side apply, whose managedFields the apply itself computed.
    public var isApply = false
    /// Warnings for the client (`Warning: 299 - "..."`) that admission (webhooks) adds; nil drops them.
    var warnings: WarningBox?
    /// The DELETE's options, for the admission webhooks' `request.options`.
    var deleteOptions: DeleteOptions?

    func warn(_ text: String) {
        guard let warnings, !text.isEmpty else { return }
        var all = warnings.value
        if !all.contains(text) { all.append(text) }
        warnings.value = all
    }

    public init(user: UserInfo, dryRun: Bool = false, subresource: String = "", fieldManager: String = "") {
        self.user = user
        self.dryRun = dryRun
        self.subresource = subresource
        self.fieldManager = fieldManager
    }

    /// The manager name, for writes that named none and sent no User-Agent (the apiserver's own writes among them).
    var manager: String {
        if !fieldManager.isEmpty { return fieldManager }
        return user.name == "system:kube-controller-manager" ? "kube-controller-manager" : "kube-apiserver"
    }
}

public enum AdmissionOperation: String, Sendable { case create = "CREATE", update = "UPDATE", delete = "DELETE" }

/// When an admission plugin runs: mutating plugins after defaulting and before validation, validating plugins after
/// validation and before storage (upstream's two admission phases).
public enum AdmissionPhase: Sendable { case mutating, validating }

/// An admission step (upstream's admission plugins).
public protocol AdmissionPlugin: Sendable {
    var name: String { get }
    var phase: AdmissionPhase { get }
    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String,
               object: inout JSONValue, old: JSONValue?, context: RequestContext) async throws
}

extension AdmissionPlugin {
    public var phase: AdmissionPhase { .mutating }
}

/// Options of a list or watch, from the query.
public struct ListOptions: Sendable {
    public var labelSelector = Labels.Selector.everything
    public var fieldSelector: FieldSelector?
    public var limit = 0
    public var continueToken: String?
    public var resourceVersion: String?
    public var resourceVersionMatch: String?
    public var timeoutSeconds: Int?
    public var allowWatchBookmarks = false
    public var sendInitialEvents: Bool?

    public init() {}
}

/// A watch event before it is written to the wire.
public struct WatchEvent: Sendable {
    public enum EventType: String, Sendable { case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK", error = "ERROR" }
    public var type: EventType
    public var object: JSONValue
    public init(type: EventType, object: JSONValue) {
        self.type = type
        self.object = object
    }
}
