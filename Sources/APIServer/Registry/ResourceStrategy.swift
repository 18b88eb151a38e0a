import KubeAPI
import KubeJSON

/// The per-kind rules the generic store applies, as upstream's RESTCreateStrategy / RESTUpdateStrategy:
/// normalise, default and validate on create; carry over what a client may not change and validate on update.
/// `prepare*` and `default` may mutate; `validate*` must not.
public protocol ResourceStrategy: Sendable {
    /// Whether `/status` exists; then the main resource ignores status changes and `/status` only changes status.
    var hasStatusSubresource: Bool { get }
    /// Whether metadata.generation is bumped when anything but metadata and status changes.
    var tracksGeneration: Bool { get }
    /// PUT of a missing object creates it (leases, endpoints, …).
    var allowCreateOnUpdate: Bool { get }
    /// An update without metadata.resourceVersion is applied to the latest version instead of refused.
    var allowUnconditionalUpdate: Bool { get }

    /// nil when valid; otherwise the detail for `metadata.name: Invalid value`.
    func validateName(_ name: String) -> String?
    func prepareForCreate(_ object: inout JSONValue)
    func applyDefaults(_ object: inout JSONValue)
    func validate(_ object: JSONValue) -> [FieldError]
    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue)
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError]
    /// Values of the selectable fields beyond metadata.name / metadata.namespace.
    func selectableFields(_ object: JSONValue) -> [String: String]
    /// Seconds the object stays in the store marked for deletion (pods bound to a node); nil or 0 = at once.
    func gracefulDeletionPeriod(_ object: JSONValue, requested: Int?) -> Int?
    /// Deletion is a state change that a controller completes (namespaces).
    var deletesInTwoSteps: Bool { get }
    func prepareForDeletion(_ object: inout JSONValue)
    /// DELETE answers with the object rather than a Success Status (pods, namespaces).
    var returnsDeletedObject: Bool { get }
    /// Drops the fields the kind does not declare and returns their paths, for kinds whose shape is data (custom
    /// resources); nil for kinds described by a built-in `Schema`.
    func pruneUnknownFields(_ object: inout JSONValue) -> [String]?

    /// Subresources that write the object itself through the store as `/status` does: the stored object with the
    /// request's status (and labels and annotations) over it. `status` when there is one; CSRs add `approval`.
    var objectSubresources: [String] { get }
    /// `prepareForCreate` knowing who asked (a CertificateSigningRequest records its requester).
    func prepareForCreate(_ object: inout JSONValue, context: RequestContext)
    /// The object a write through one of `objectSubresources` makes of the request and the stored object, when the
    /// subresource changes something other than status (`pods/ephemeralcontainers`); nil takes the store's copy of
    /// status, labels and annotations.
    func objectForSubresourceUpdate(_ input: JSONValue, old: JSONValue, subresource: String) -> JSONValue?
    /// Narrows what a write through one of `objectSubresources` changes, after the store's own copy.
    func prepareForSubresourceUpdate(_ object: inout JSONValue, old: JSONValue, subresource: String)
    /// `validateUpdate` knowing the subresource written ("" for the object itself).
    func validateUpdate(_ object: JSONValue, old: JSONValue, subresource: String) -> [FieldError]
}

extension ResourceStrategy {
    public var hasStatusSubresource: Bool { false }
    public var tracksGeneration: Bool { false }
    public var allowCreateOnUpdate: Bool { false }
    public var allowUnconditionalUpdate: Bool { true }
    public func validateName(_ name: String) -> String? {
        NameValidation.isDNS1123Subdomain(name) ? nil : NameValidation.dns1123SubdomainMessage
    }
    public func prepareForCreate(_ object: inout JSONValue) {
        if hasStatusSubresource { object["status"] = nil }
    }
    public func applyDefaults(_ object: inout JSONValue) {}
    public func validate(_ object: JSONValue) -> [FieldError] { [] }
    public func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        if hasStatusSubresource { object["status"] = old["status"] }
    }
    public func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] { validate(object) }
    public func selectableFields(_ object: JSONValue) -> [String: String] { [:] }
    public func gracefulDeletionPeriod(_ object: JSONValue, requested: Int?) -> Int? { nil }
    public var deletesInTwoSteps: Bool { false }
    public func prepareForDeletion(_ object: inout JSONValue) {}
    public var returnsDeletedObject: Bool { false }
    public func pruneUnknownFields(_ object: inout JSONValue) -> [String]? { nil }
    public var objectSubresources: [String] { hasStatusSubresource ? ["status"] : [] }
    public func prepareForCreate(_ object: inout JSONValue, context: RequestContext) { prepareForCreate(&object) }
    public func objectForSubresourceUpdate(_ input: JSONValue, old: JSONValue, subresource: String) -> JSONValue? { nil }
    public func prepareForSubresourceUpdate(_ object: inout JSONValue, old: JSONValue, subresource: String) {}
    public func validateUpdate(_ object: JSONValue, old: JSONValue, subresource: String) -> [FieldError] {
        validateUpdate(object, old: old)
    }
}

/// A kind with no rules beyond the generic ones (configmaps, service accounts, …).
public struct PlainStrategy: ResourceStrategy {
    public var nameValidator: (@Sendable (String) -> String?)?
    public init(nameValidator: (@Sendable (String) -> String?)? = nil) { self.nameValidator = nameValidator }
    public func validateName(_ name: String) -> String? {
        if let nameValidator { return nameValidator(name) }
        return NameValidation.isDNS1123Subdomain(name) ? nil : NameValidation.dns1123SubdomainMessage
    }
}

/// Name rules used by several kinds.
public enum NameRules {
    public static func dnsLabel(_ name: String) -> String? {
        NameValidation.isDNS1123Label(name) ? nil : NameValidation.dns1123LabelMessage
    }
    /// RBAC objects (and a few others) only forbid what cannot be a path segment.
    public static func pathSegment(_ name: String) -> String? {
        if name == "." || name == ".." { return "may not be '\(name)'" }
        if name.contains("/") { return "may not contain '/'" }
        if name.contains("%") { return "may not contain '%'" }
        return nil
    }
    public static let dns1035Message = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    public static func dns1035Label(_ name: String) -> String? {
        guard NameValidation.isDNS1123Label(name), let first = name.first, first.isLetter else { return dns1035Message }
        return nil
    }
}
