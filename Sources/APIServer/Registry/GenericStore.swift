import KubeAPI
import KubeJSON
import KubeStorage

/// One generic store for every kind (upstream's registry/generic/registry.Store): the create, update, delete, list
/// and watch pipelines live here once, and a kind only contributes its `ResourceStrategy`.
public struct GenericStore: Sendable {
    public let definition: ResourceDefinition
    let storage: any StorageBackend
    let admission: [any AdmissionPlugin]

    public init(definition: ResourceDefinition, storage: any StorageBackend, admission: [any AdmissionPlugin]) {
        self.definition = definition
        self.storage = storage
        self.admission = admission
    }

    var strategy: any ResourceStrategy { definition.strategy }
    var groupResource: GroupResource { definition.groupResource }

    // MARK: encoding

    func decode(_ kv: KeyValue) throws -> JSONValue {
        var object: JSONValue
        do { object = try JSONParser.parse(kv.value) } catch {
            throw StatusError.internalError("stored object \(kv.key) is not valid JSON: \(error)")
        }
        if let conversion = definition.storageConversion { object = conversion.fromStorage(object) }
        object.setMeta("resourceVersion", .string(String(kv.modRevision)))
        return object
    }

    /// The stored form never carries resourceVersion: the store's mod revision is the truth.
    func encode(_ object: JSONValue) -> [UInt8] {
        var copy = definition.storageConversion?.toStorage(object) ?? object
        copy[path: ["metadata", "resourceVersion"]] = nil
        return JSONWriter.write(copy)
    }

    func mapStorageError(_ error: any Error, name: String) -> any Error {
        guard let storageError = error as? StorageError else { return error }
        switch storageError {
        case .notFound: return StatusError.notFound(groupResource, name)
        case .keyExists: return StatusError.alreadyExists(groupResource, name)
        case .conflict: return StatusError.conflict(groupResource, name, StatusError.optimisticLockMessage)
        case .compacted(let requested, let compacted):
            return StatusError.gone("too old resource version: \(requested) (\(compacted))")
        case .unavailable(let why): return StatusError.serviceUnavailable(why)
        }
    }

    func namespaceFor(_ namespace: String) -> String { definition.namespaced ? namespace : "" }

    // MARK: get / list

    public func get(namespace: String, name: String) async throws -> JSONValue {
        let kv: KeyValue?
        do { kv = try await storage.get(definition.key(namespace: namespaceFor(namespace), name: name)) } catch {
            throw mapStorageError(error, name: name)
        }
        guard let kv else { throw StatusError.notFound(groupResource, name) }
        return try decode(kv)
    }

    public struct ListResult: Sendable {
        public var items: [JSONValue]
        public var resourceVersion: String
        public var continueToken: String?
        public var remainingItemCount: Int?
    }

    public func list(namespace: String, options: ListOptions) async throws -> ListResult {
        var items: [JSONValue] = []
        let page = try await scan(namespace: namespace, options: options) { items.append($0) }
        return ListResult(items: items, resourceVersion: page.resourceVersion, continueToken: page.continueToken,
                          remainingItemCount: page.remainingItemCount)
    }

    /// What a list says about itself besides its items.
    public struct ListPage: Sendable {
        public var resourceVersion: String
        public var continueToken: String?
        public var remainingItemCount: Int?
    }

    /// Reads what a list selects and hands each matching object to `body` as soon as it is decoded, so a caller that
    /// encodes as it goes holds one decoded object at a time instead of a tree per item (a 20,000-item list of
    /// ConfigMaps cost about 20 bytes of memory per byte of response that way).
    public func scan(namespace: String, options: ListOptions, _ body: (JSONValue) throws -> Void) async throws -> ListPage {
        try await scanStored(namespace: namespace, options: options, reserve: { _ in }) { kv in
            let object = try decode(kv)
            guard matches(object, options: options) else { return false }
            try body(object)
            return true
        }
    }

    /// Appends the JSON of each object the list selects to `out`, comma-separated. Stored bytes are copied with the
    /// resourceVersion spliced in where possible (MetadataSplice); decoding happens only to apply selectors or a
    /// storage conversion, or for bytes in another form than JSONWriter's.
    public func appendListItems(namespace: String, options: ListOptions, to out: inout [UInt8]) async throws -> ListPage {
        let selects = !options.labelSelector.isEmpty || !(options.fieldSelector?.isEmpty ?? true)
        let spliceable = definition.storageConversion == nil
        var first = true
        return try await scanStored(namespace: namespace, options: options,
                                    reserve: { out.reserveCapacity(out.count + $0 + $0 / 16 + 4096) }) { kv in
            var decoded: JSONValue?
            if selects || !spliceable {
                let object = try decode(kv)
                guard matches(object, options: options) else { return false }
                decoded = object
            }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            if spliceable, MetadataSplice.append(kv.value, inserting: Self.resourceVersionKey, quotedInteger: kv.modRevision, to: &out) {
                return true
            }
            JSONWriter.append(try decoded ?? decode(kv), to: &out)
            return true
        }
    }

    static let resourceVersionKey = Array("resourceVersion".utf8)

    /// The finalizer a `propagationPolicy` puts on the object deleted (metav1.FinalizerOrphanDependents and
    /// FinalizerDeleteDependents); Background, the default, waits for nothing.
    static let propagationFinalizers = ["Orphan": "orphan", "Foreground": "foregroundDeletion"]

    /// The range loop under both: pages are read until the limit is filled by items `handle` counts (it returns
    /// whether the item was selected), as upstream fills a limit after filtering.
    private func scanStored(namespace: String, options: ListOptions, reserve: (Int) -> Void,
                            _ handle: (KeyValue) throws -> Bool) async throws -> ListPage {
        if let fieldSelector = options.fieldSelector { try fieldSelector.validate(supported: supportedFields) }
        var startAfter: String?
        var tokenRevision: Int64?
        if let token = options.continueToken, !token.isEmpty {
            guard let parsed = ContinueToken.decode(token), parsed.key.hasPrefix(definition.prefix(namespace: namespaceFor(namespace))) || parsed.key.hasPrefix(definition.keyRoot) else {
                throw StatusError.badRequest("The provided continue parameter is invalid")
            }
            startAfter = parsed.key
            tokenRevision = parsed.revision
        }
        let prefix = definition.prefix(namespace: namespaceFor(namespace))
        var count = 0
        var lastKey: String?
        var more = false
        var revision: Int64 = 0
        var remaining = 0
        repeat {
            let page: RangeResult
            do {
                page = try await storage.range(prefix: prefix, startAfter: startAfter,
                                               limit: options.limit > 0 ? max(options.limit - count, 1) : 0)
            } catch { throw mapStorageError(error, name: "") }
            if revision == 0 { revision = page.revision }
            remaining = page.count - page.kvs.count
            // What the page's objects take stored, for a caller that sizes its output once.
            reserve(page.kvs.reduce(0) { $0 + $1.value.count })
            for kv in page.kvs {
                if try handle(kv) { count += 1 }
                lastKey = kv.key
            }
            more = page.more
            startAfter = lastKey
        } while more && options.limit > 0 && count < options.limit
        let listRevision = tokenRevision ?? revision
        var result = ListPage(resourceVersion: String(listRevision))
        if more, let lastKey {
            result.continueToken = ContinueToken(key: lastKey, revision: listRevision).encode()
            if options.labelSelector.isEmpty, options.fieldSelector?.isEmpty ?? true {
                result.remainingItemCount = remaining
            }
        }
        return result
    }

    var supportedFields: Set<String> {
        var fields: Set<String> = ["metadata.name", "metadata.namespace"]
        fields.formUnion(FieldSets.fields(for: definition.resource, group: definition.group))
        return fields
    }

    func fieldValues(_ object: JSONValue) -> [String: String] {
        var fields = strategy.selectableFields(object)
        fields["metadata.name"] = object.metaName
        fields["metadata.namespace"] = object.metaNamespace
        return fields
    }

    func matches(_ object: JSONValue, options: ListOptions) -> Bool {
        if !options.labelSelector.isEmpty, !options.labelSelector.matches(object.metaLabels) { return false }
        if let fs = options.fieldSelector, !fs.isEmpty, !fs.matches(fieldValues(object)) { return false }
        return true
    }

    // MARK: create

    public func create(namespace: String, object input: JSONValue, context: RequestContext) async throws -> JSONValue {
        var object = input
        guard object.object != nil else { throw StatusError.badRequest("the body of the request must be a JSON object") }
        try checkTypeMeta(object)
        let ns = namespaceFor(namespace)
        let bodyNamespace = object.metaNamespace
        if definition.namespaced {
            if !bodyNamespace.isEmpty, bodyNamespace != ns {
                throw StatusError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            object.setMeta("namespace", .string(ns))
        } else if !bodyNamespace.isEmpty {
            object.setMeta("namespace", nil)
        }
        // The prefix a generated name is made from (and made again from on a conflict); nil for a given name.
        var generatedFrom: String?
        if object.metaName.isEmpty, let generate = object[path: ["metadata", "generateName"]]?.string, !generate.isEmpty {
            let prefix = String(generate.prefix(58))
            generatedFrom = prefix
            object.setMeta("name", .string(prefix + RandomNames.suffix()))
        }
        if !object.metaResourceVersion.isEmpty {
            throw StatusError.badRequest("resourceVersion should not be set on objects to be created")
        }
        object.setMeta("uid", .string(RandomNames.uuid()))
        object.setMeta("creationTimestamp", .string(Timestamp.format(Timestamp.now())))
        object.setMeta("deletionTimestamp", nil)
        object.setMeta("deletionGracePeriodSeconds", nil)
        if strategy.tracksGeneration { object.setMeta("generation", .int(1)) } else { object.setMeta("generation", nil) }
        object["apiVersion"] = .string(definition.apiVersion)
        object["kind"] = .string(definition.kind)
        strategy.prepareForCreate(&object, context: context)
        strategy.applyDefaults(&object)
        for plugin in admission where plugin.phase == .mutating {
            try await plugin.admit(.create, resource: definition, namespace: ns, object: &object, old: nil, context: context)
        }
        Self.normalizeObjectMeta(&object)
        try checkDecodable(object)
        var errors = validateObjectMeta(object, isCreate: true)
        errors += strategy.validate(object)
        if !errors.isEmpty { throw invalid(object.metaName, errors) }
        try await validatingAdmission(.create, namespace: ns, object: object, old: nil, context: context)
        if !context.isApply {
            ManagedFields.recordUpdate(old: nil, new: &object, manager: context.manager, subresource: context.subresource,
                                       apiVersion: definition.apiVersion, shape: FieldShape.of(definition))
        }
        if context.dryRun {
            if try await storage.get(definition.key(namespace: ns, name: object.metaName)) != nil {
                throw StatusError.alreadyExists(groupResource, object.metaName)
            }
            return object
        }
        var revision: Int64 = 0
        // A generated name that is taken is generated again, up to 7 times (upstream's RetryGenerateName, GA in
        // 1.32): five random characters collide once in a few thousand names.
        for attempt in 0...7 {
            do {
                revision = try await storage.create(definition.key(namespace: ns, name: object.metaName), value: encode(object))
                break
            } catch StorageError.keyExists where attempt < 7 && generatedFrom != nil {
                object.setMeta("name", .string((generatedFrom ?? "") + RandomNames.suffix()))
            } catch { throw mapStorageError(error, name: object.metaName) }
        }
        object.setMeta("resourceVersion", .string(String(revision)))
        return object
    }

    /// Validating plugins see the object as it will be stored and cannot change it.
    func validatingAdmission(_ operation: AdmissionOperation, namespace: String, object: JSONValue, old: JSONValue?,
                             context: RequestContext) async throws {
        for plugin in admission where plugin.phase == .validating {
            var copy = object
            try await plugin.admit(operation, resource: definition, namespace: namespace, object: &copy, old: old, context: context)
        }
    }

    func checkTypeMeta(_ object: JSONValue) throws {
        if let kind = object["kind"]?.string, !kind.isEmpty, kind != definition.kind {
            throw StatusError.badRequest("the kind of the provided object (\(kind)) does not match the resource (\(definition.kind))")
        }
        if let apiVersion = object["apiVersion"]?.string, !apiVersion.isEmpty, apiVersion != definition.apiVersion {
            throw StatusError.badRequest("the API version in the data (\(apiVersion)) does not match the expected API version (\(definition.apiVersion))")
        }
    }

    func invalid(_ name: String, _ errors: [FieldError]) -> StatusError {
        StatusError.invalid(kind: definition.kind, group: definition.group, name: name, errors)
    }

    func validateObjectMeta(_ object: JSONValue, isCreate: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        let name = object.metaName
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else if let detail = strategy.validateName(name) {
            errors.append(.invalid("metadata.name", name, detail))
        }
        if let labels = object[path: ["metadata", "labels"]], labels != .null {
            if let map = labels.object {
                for (key, value) in map.sorted(by: { $0.key < $1.key }) {
                    guard let s = value.string else {
                        errors.append(.invalid("metadata.labels", key, "label values must be strings"))
                        continue
                    }
                    if (try? Labels.validateKey(key)) == nil {
                        errors.append(.invalid("metadata.labels", key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"))
                    }
                    if (try? Labels.validateValue(s)) == nil {
                        errors.append(.invalid("metadata.labels", s, "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"))
                    }
                }
            }
        }
        if let annotations = object[path: ["metadata", "annotations"]]?.object {
            let size = annotations.reduce(0) { $0 + $1.key.utf8.count + ($1.value.string?.utf8.count ?? 0) }
            if size > 256 * 1024 {
                errors.append(FieldError(kind: .invalid, field: "metadata.annotations", value: nil,
                                         detail: "Too long: must have at most 262144 bytes"))
            }
        }
        return errors
    }

    // MARK: update

    /// Reads the current object, lets `transform` derive the new one, and writes it back with compare-and-swap,
    /// retrying on a lost race (upstream's GuaranteedUpdate). Returns the stored object and whether it was created.
    public func guaranteedUpdate(namespace: String, name: String, context: RequestContext, createIfMissing: Bool = false,
                                 transform: @Sendable (JSONValue?) throws -> JSONValue) async throws -> (JSONValue, Bool) {
        let ns = namespaceFor(namespace)
        let key = definition.key(namespace: ns, name: name)
        for _ in 0..<16 {
            let currentKV: KeyValue?
            do { currentKV = try await storage.get(key) } catch { throw mapStorageError(error, name: name) }
            guard let currentKV else {
                guard strategy.allowCreateOnUpdate || createIfMissing, context.subresource.isEmpty else {
                    throw StatusError.notFound(groupResource, name)
                }
                let object = try transform(nil)
                return (try await create(namespace: ns, object: object, context: context), true)
            }
            let current = try decode(currentKV)
            var object = try transform(current)
            object = try await prepareUpdate(object, old: current, namespace: ns, name: name, context: context)
            // A no-op update is not written (the resourceVersion does not move), as upstream.
            if encode(object) == encode(current) { return (current, false) }
            if context.dryRun { return (object, false) }
            // The last finalizer gone from a terminating object deletes it, unless a grace period still runs (a pod
            // its kubelet is stopping): that kubelet's final zero-grace delete removes it then.
            if object.metaDeletionTimestamp != nil, object.metaFinalizers.isEmpty, !(current.metaFinalizers.isEmpty),
               (object[path: ["metadata", "deletionGracePeriodSeconds"]]?.int ?? 0) == 0 {
                do { _ = try await storage.delete(key, expectedModRevision: currentKV.modRevision) } catch StorageError.conflict {
                    continue
                } catch { throw mapStorageError(error, name: name) }
                return (object, false)
            }
            do {
                let revision = try await storage.update(key, value: encode(object), expectedModRevision: currentKV.modRevision)
                object.setMeta("resourceVersion", .string(String(revision)))
                return (object, false)
            } catch StorageError.conflict {
                continue
            } catch { throw mapStorageError(error, name: name) }
        }
        throw StatusError.conflict(groupResource, name, StatusError.optimisticLockMessage)
    }

    /// PUT: the body replaces the object, subject to optimistic concurrency on its resourceVersion.
    public func update(namespace: String, name: String, object input: JSONValue, context: RequestContext) async throws -> (JSONValue, Bool) {
        guard input.object != nil else { throw StatusError.badRequest("the body of the request must be a JSON object") }
        try checkTypeMeta(input)
        if !input.metaName.isEmpty, input.metaName != name {
            throw StatusError.badRequest("the name of the object (\(input.metaName)) does not match the name on the URL (\(name))")
        }
        if definition.namespaced, !input.metaNamespace.isEmpty, input.metaNamespace != namespaceFor(namespace) {
            throw StatusError.badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        let definition = self.definition
        let allowUnconditional = strategy.allowUnconditionalUpdate
        let groupResource = self.groupResource
        return try await guaranteedUpdate(namespace: namespace, name: name, context: context) { current in
            var object = input
            object.setMeta("name", .string(name))
            guard let current else {
                object.setMeta("resourceVersion", nil)
                return object
            }
            let requested = input.metaResourceVersion
            if requested.isEmpty {
                if !allowUnconditional {
                    throw StatusError.invalid(kind: definition.kind, group: definition.group, name: name, [
                        .invalid("metadata.resourceVersion", "0x0", "must be specified for an update")])
                }
            } else if requested != current.metaResourceVersion {
                throw StatusError.conflict(groupResource, name, StatusError.optimisticLockMessage)
            }
            return object
        }
    }

    func prepareUpdate(_ input: JSONValue, old: JSONValue, namespace: String, name: String,
                       context: RequestContext) async throws -> JSONValue {
        var object: JSONValue
        if context.subresource == "status" || strategy.objectSubresources.contains(context.subresource) {
            if let own = strategy.objectForSubresourceUpdate(input, old: old, subresource: context.subresource) {
                object = own
            } else {
                object = old
                object["status"] = input["status"]
                for field in ["labels", "annotations"] {
                    object[path: ["metadata", field]] = input[path: ["metadata", field]]
                }
            }
            strategy.prepareForSubresourceUpdate(&object, old: old, subresource: context.subresource)
        } else {
            object = input
            strategy.prepareForUpdate(&object, old: old)
        }
        object["apiVersion"] = .string(definition.apiVersion)
        object["kind"] = .string(definition.kind)
        object.setMeta("name", .string(name))
        if definition.namespaced { object.setMeta("namespace", .string(namespace)) }
        var errors: [FieldError] = []
        for field in ["uid", "creationTimestamp"] {
            let given = object[path: ["metadata", field]]
            let was = old[path: ["metadata", field]]
            if given == nil || given == .null || given?.string == "" {
                object.setMeta(field, was)
            } else if given != was, field == "uid" {
                errors.append(.invalid("metadata.uid", given?.string ?? "", "field is immutable"))
            } else {
                object.setMeta(field, was)
            }
        }
        for field in ["deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            object.setMeta(field, old[path: ["metadata", field]])
        }
        object.setMeta("resourceVersion", old[path: ["metadata", "resourceVersion"]])
        if object.metaDeletionTimestamp != nil {
            // A terminating object may lose finalizers but not gain them.
            let added = Set(object.metaFinalizers).subtracting(old.metaFinalizers)
            if !added.isEmpty {
                errors.append(FieldError(kind: .forbidden, field: "metadata.finalizers", value: nil,
                                         detail: "no new finalizers can be added if the object is being deleted, found new finalizers [\"\(added.sorted().joined(separator: "\" \""))\"]"))
            }
        }
        strategy.applyDefaults(&object)
        if strategy.tracksGeneration, context.subresource != "status" {
            var a = object, b = old
            a["metadata"] = nil; a["status"] = nil
            b["metadata"] = nil; b["status"] = nil
            if a != b {
                // Saturating: the stored value is read back from storage, which a test hook or another writer may
                // have filled with anything.
                let generation = old[path: ["metadata", "generation"]]?.int ?? 1
                object.setMeta("generation", .int(generation.addingSaturated(1)))
            }
        }
        for plugin in admission where plugin.phase == .mutating {
            try await plugin.admit(.update, resource: definition, namespace: namespace, object: &object, old: old, context: context)
        }
        Self.normalizeObjectMeta(&object)
        try checkDecodable(object, old: old)
        errors += validateObjectMeta(object, isCreate: false)
        errors += strategy.validateUpdate(object, old: old, subresource: context.subresource)
        if !errors.isEmpty { throw invalid(name, errors) }
        try await validatingAdmission(.update, namespace: namespace, object: object, old: old, context: context)
        if !context.isApply {
            ManagedFields.recordUpdate(old: old, new: &object, manager: context.manager, subresource: context.subresource,
                                       apiVersion: definition.apiVersion, shape: FieldShape.of(definition))
        }
        return object
    }

    // MARK: delete

    public enum DeleteResult: Sendable {
        /// Gone from storage; the last state.
        case deleted(JSONValue)
        /// Marked for deletion (finalizers or a grace period); the updated object.
        case pending(JSONValue)
    }

    public func delete(namespace: String, name: String, options: DeleteOptions, context: RequestContext) async throws -> DeleteResult {
        let ns = namespaceFor(namespace)
        let key = definition.key(namespace: ns, name: name)
        for _ in 0..<16 {
            let currentKV: KeyValue?
            do { currentKV = try await storage.get(key) } catch { throw mapStorageError(error, name: name) }
            guard let currentKV else { throw StatusError.notFound(groupResource, name) }
            var current = try decode(currentKV)
            if let uid = options.preconditionUID, uid != current.metaUID {
                throw StatusError.conflict(groupResource, name, "Precondition failed: UID in precondition: \(uid), UID in object meta: \(current.metaUID)")
            }
            if let rv = options.preconditionResourceVersion, rv != current.metaResourceVersion {
                throw StatusError.conflict(groupResource, name, "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(current.metaResourceVersion)")
            }
            var placeholder = current
            for plugin in admission {
                try await plugin.admit(.delete, resource: definition, namespace: ns, object: &placeholder, old: current, context: context)
            }
            let grace = strategy.gracefulDeletionPeriod(current, requested: options.gracePeriodSeconds)
            // Orphan and Foreground propagation leave the object to kube-controller-manager's garbage collector (which
            // follows every kind), as upstream's store does: it lets go of the finalizer once the dependents are handled.
            if current.metaDeletionTimestamp == nil, !context.dryRun,
               let finalizer = Self.propagationFinalizers[options.propagationPolicy ?? ""],
               !current.metaFinalizers.contains(finalizer) {
                current.setMeta("finalizers", .array((current.metaFinalizers + [finalizer]).map { .string($0) }))
            }
            let hasFinalizers = !current.metaFinalizers.isEmpty
            if hasFinalizers || (grace ?? 0) > 0 || strategy.deletesInTwoSteps {
                let now = Timestamp.now()
                var changed = false
                if current.metaDeletionTimestamp == nil {
                    current.setMeta("deletionTimestamp", .string(Timestamp.format(now + Double(grace ?? 0))))
                    current.setMeta("deletionGracePeriodSeconds", .int(Int64(grace ?? 0)))
                    changed = true
                } else if let grace, let existing = current[path: ["metadata", "deletionGracePeriodSeconds"]]?.int, Int64(grace) < existing {
                    current.setMeta("deletionTimestamp", .string(Timestamp.format(now + Double(grace))))
                    current.setMeta("deletionGracePeriodSeconds", .int(Int64(grace)))
                    changed = true
                }
                strategy.prepareForDeletion(&current)
                if !hasFinalizers, grace == 0, !strategy.deletesInTwoSteps {
                    // Fall through to the immediate delete below.
                } else {
                    if !changed && !strategy.deletesInTwoSteps { return .pending(current) }
                    if context.dryRun { return .pending(current) }
                    do {
                        let revision = try await storage.update(key, value: encode(current), expectedModRevision: currentKV.modRevision)
                        current.setMeta("resourceVersion", .string(String(revision)))
                        return .pending(current)
                    } catch StorageError.conflict { continue } catch { throw mapStorageError(error, name: name) }
                }
            }
            if context.dryRun { return .deleted(current) }
            do {
                let (_, revision) = try await storage.delete(key, expectedModRevision: currentKV.modRevision)
                current.setMeta("resourceVersion", .string(String(revision)))
                return .deleted(current)
            } catch StorageError.conflict { continue } catch { throw mapStorageError(error, name: name) }
        }
        throw StatusError.conflict(groupResource, name, StatusError.optimisticLockMessage)
    }
}

/// meta/v1 DeleteOptions, from the body or the query.
public struct DeleteOptions: Sendable {
    public var gracePeriodSeconds: Int?
    public var preconditionUID: String?
    public var preconditionResourceVersion: String?
    public var propagationPolicy: String?
    public init() {}

    /// The fields of a meta/v1 DeleteOptions body (a DELETE's, or an Eviction's `deleteOptions`).
    init(json: JSONValue) {
        gracePeriodSeconds = json["gracePeriodSeconds"]?.int.map { Int(clamping: $0) }
        propagationPolicy = json["propagationPolicy"]?.string
        preconditionUID = json[path: ["preconditions", "uid"]]?.string
        preconditionResourceVersion = json[path: ["preconditions", "resourceVersion"]]?.string
    }
}

/// The continue token of a paged list: where to resume and at which resourceVersion the first page was read.
struct ContinueToken {
    var key: String
    var revision: Int64

    func encode() -> String {
        let json: JSONValue = ["v": "meta.k8s.io/v1", "rv": .int(revision), "start": .string(key + "\u{0}")]
        return Base64.encode(JSONWriter.write(json))
    }

    static func decode(_ token: String) -> ContinueToken? {
        guard let bytes = Base64.decode(token), let json = try? JSONParser.parse(bytes),
              let start = json["start"]?.string, let rv = json["rv"]?.int else { return nil }
        return ContinueToken(key: start.hasSuffix("\u{0}") ? String(start.dropLast()) : start, revision: rv)
    }
}
