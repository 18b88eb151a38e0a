import Foundation
import KubeAPI
import KubeJSON

/// Serves one REST request on one resource: the verb picks the generic store operation, the Accept header the
/// output form (object, list, Table), and the query the options (selectors, paging, dryRun, fieldValidation…).
struct ResourceHandler {
    let server: APIServer
    let store: GenericStore
    let request: APIRequest
    let info: RequestInfo
    /// What admission webhooks answered with `warnings`, sent with the response (or the error) as upstream does.
    let admissionWarnings = WarningBox([])

    var def: ResourceDefinition { store.definition }
    var query: QueryParameters { request.query }
    var namespace: String { def.namespaced ? info.namespace : "" }
    /// The response's form; protobuf for built-in kinds when the client prefers it (the body is converted from JSON
    /// once the handler answers, in `APIServer.handle`; watch streams frame each event themselves).
    var negotiatedMedia: MediaType? {
        MediaType.negotiate(request.header("accept"), protobuf: MediaType.protobufForms(builtIn: def.owner == nil))
    }

    var notAcceptable: StatusError {
        StatusError.notAcceptable("only the following media types are accepted: application/json, application/yaml"
                                  + (def.owner == nil ? ", \(MediaType.protobufType)" : ""))
    }

    var context: RequestContext {
        var context = RequestContext(user: request.user, dryRun: query["dryRun"] == "All", subresource: info.subresource,
                                     fieldManager: fieldManager)
        context.warnings = admissionWarnings
        return context
    }

    /// `?fieldManager=`, else the User-Agent's product (`kubectl/v1.32.0 (linux/amd64)` → `kubectl`), as upstream.
    var fieldManager: String {
        if let manager = query["fieldManager"], !manager.isEmpty { return String(manager.prefix(128)) }
        let agent = request.header("user-agent") ?? ""
        return String((agent.split(separator: "/", maxSplits: 1).first.map(String.init) ?? "").prefix(128))
    }

    func serve() async throws -> APIResponse {
        do {
            var response = try await serveRequest()
            Self.addWarnings(admissionWarnings.value, to: &response)
            return response
        } catch let error as StatusError where !admissionWarnings.value.isEmpty {
            var response = APIResponse.error(error)
            Self.addWarnings(admissionWarnings.value, to: &response)
            return response
        }
    }

    static func addWarnings(_ warnings: [String], to response: inout APIResponse) {
        for w in warnings { response.headers.append(("warning", "299 - \"\(w.replacingOccurrences(of: "\"", with: "\\\""))\"")) }
    }

    func serveRequest() async throws -> APIResponse {
        if def.namespaced, info.namespace.isEmpty, !["list", "watch"].contains(info.verb) {
            if info.verb == "create" || !info.name.isEmpty {
                throw StatusError.notFoundPath()
            }
            // Upstream serves only list and watch across namespaces (`kubectl delete --all-namespaces -l …` lists,
            // then deletes one by one): a collection DELETE there is go-restful's 405.
            throw StatusError(code: 405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource",
                              details: .emptyObject)
        }
        if !info.subresource.isEmpty {
            guard def.strategy.objectSubresources.contains(info.subresource) else {
                if def.group.isEmpty, def.resource == "pods", info.subresource == "log", info.verb == "get" {
                    return try await podLogs()
                }
                if def.group.isEmpty, def.resource == "pods", ["exec", "attach", "portforward"].contains(info.subresource), !info.name.isEmpty {
                    return try await podStream()
                }
                if def.group.isEmpty, ["pods", "services", "nodes"].contains(def.resource), info.subresource == "proxy", !info.name.isEmpty {
                    return try await connectProxy()
                }
                if info.subresource == "scale", servesScale, !info.name.isEmpty { return try await scale() }
                if def.group.isEmpty, def.resource == "pods", info.subresource == "binding", info.verb == "create", !info.name.isEmpty {
                    return try await binding()
                }
                if def.group.isEmpty, def.resource == "pods", info.subresource == "eviction", !info.name.isEmpty {
                    guard info.verb == "create" else { throw StatusError.methodNotSupported(GroupResource(group: "", resource: "pods/eviction"), info.verb) }
                    return try await eviction()
                }
                if def.group.isEmpty, def.resource == "namespaces", info.subresource == "finalize", !info.name.isEmpty {
                    guard info.verb == "update" else { throw StatusError.methodNotSupported(GroupResource(group: "", resource: "namespaces/finalize"), info.verb) }
                    guard let media = negotiatedMedia else { throw notAcceptable }
                    return try await respond(try await store.finalizeNamespace(info.name, body: try body(), context: context), media: media)
                }
                if def.group.isEmpty, def.resource == "serviceaccounts", info.subresource == "token", !info.name.isEmpty {
                    guard info.verb == "create" else { throw StatusError.methodNotSupported(GroupResource(group: "", resource: "serviceaccounts/token"), info.verb) }
                    return try await server.tokenRequest(request, info)
                }
                throw StatusError.notFoundPath()
            }
            guard ["get", "update", "patch"].contains(info.verb) else {
                throw StatusError.methodNotSupported(def.groupResource, info.verb)
            }
        }
        if let dryRun = query["dryRun"], dryRun != "All" {
            throw StatusError.badRequest("Invalid dry run value: \(dryRun); only \"All\" is supported")
        }
        guard let media = negotiatedMedia else { throw notAcceptable }
        if def.group.isEmpty, def.resource == "componentstatuses" { return try await componentStatuses(media) }
        switch info.verb {
        case "get": return try await respond(try await store.get(namespace: namespace, name: info.name), media: media)
        case "list": return try await list(media)
        case "watch": return try await WatchStream(handler: self, media: media).start()
        case "create": return try await create(media)
        case "update": return try await update(media)
        case "patch": return try await patch(media)
        case "delete": return try await delete(media)
        case "deletecollection": return try await deleteCollection(media)
        default: throw StatusError.methodNotSupported(def.groupResource, request.method)
        }
    }

    // MARK: reads

    /// `?labelSelector=` parsed by KubeAPI; a bad one is a 400 with the parser's message.
    static func labelSelector(_ text: String) throws(StatusError) -> Labels.Selector {
        do {
            return try Labels.Selector(parsing: text)
        } catch {
            throw .badRequest(error.message)
        }
    }

    func listOptions() throws -> ListOptions {
        var options = ListOptions()
        if let s = query["labelSelector"], !s.isEmpty { options.labelSelector = try Self.labelSelector(s) }
        if let s = query["fieldSelector"], !s.isEmpty { options.fieldSelector = try FieldSelector(parsing: s) }
        if !info.name.isEmpty {
            var fs = try options.fieldSelector ?? FieldSelector(parsing: "")
            fs.requirements.append(("metadata.name", info.name, true))
            options.fieldSelector = fs
        }
        if let l = query["limit"], !l.isEmpty {
            guard let n = Int(l), n >= 0 else { throw StatusError.badRequest("invalid limit: \(l)") }
            options.limit = n
        }
        options.continueToken = query["continue"]
        options.resourceVersion = query["resourceVersion"]
        options.resourceVersionMatch = query["resourceVersionMatch"]
        if let t = query["timeoutSeconds"], let n = Int(t) { options.timeoutSeconds = n }
        options.allowWatchBookmarks = query.bool("allowWatchBookmarks")
        if query.has("sendInitialEvents") { options.sendInitialEvents = query.bool("sendInitialEvents") }
        return options
    }

    func list(_ media: MediaType) async throws -> APIResponse {
        let options = try listOptions()
        switch media.form {
        case .object: return try await encodedList(options)
        case .table: return try await encodedTable(options, version: media.tableVersion)
        default:
            var items: [JSONValue] = []
            let page = try await store.scan(namespace: namespace, options: options) { items.append(TableConverter.partialMetadata($0)) }
            return .json(["kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": listMeta(page),
                          "items": .array(items)])
        }
    }

    /// A list as a Table (`kubectl get`), its rows written as the store yields the objects: one decoded object at a
    /// time, not a tree per item (an unpaged Table of 20,000 ConfigMaps held about 180 MiB). `rows` sorts last among
    /// the Table's keys, so it is appended to the header's encoding: the same bytes as encoding the whole Table.
    func encodedTable(_ options: ListOptions, version: String) async throws -> APIResponse {
        let converter = TableConverter(definition: def, includeObject: query["includeObject"], version: version)
        let now = Timestamp.now()
        var rows: [UInt8] = []
        var first = true
        let page = try await store.scan(namespace: namespace, options: options) { object in
            if !first { rows.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.append(converter.row(object, now: now), to: &rows)
        }
        var header = converter.header()
        header["metadata"] = listMeta(page)
        var out = JSONWriter.write(header)
        out.reserveCapacity(out.count + rows.count + 16)
        out.removeLast()   // the header's closing brace
        out += Array(#","rows":["#.utf8)
        out += rows
        out += Array("]}".utf8)
        return APIResponse(status: 200, headers: [("content-type", "application/json")], body: .bytes(out))
    }

    func listMeta(_ page: GenericStore.ListPage) -> JSONValue {
        var meta: JSONValue = ["resourceVersion": .string(page.resourceVersion)]
        if let token = page.continueToken { meta["continue"] = .string(token) }
        if let remaining = page.remainingItemCount { meta["remainingItemCount"] = .int(Int64(remaining)) }
        return meta
    }

    /// A plain list, written item by item as the store yields them: the response's bytes are the only full copy
    /// (the same bytes JSONWriter would write for the whole list: keys apiVersion, items, kind, metadata in order).
    func encodedList(_ options: ListOptions) async throws -> APIResponse {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        out += Array(#"{"apiVersion":"#.utf8)
        JSONWriter.appendString(def.apiVersion, to: &out)
        out += Array(#","items":["#.utf8)
        let page = try await store.appendListItems(namespace: namespace, options: options, to: &out)
        out += Array(#"],"kind":"#.utf8)
        JSONWriter.appendString(def.kind + "List", to: &out)
        out += Array(#","metadata":"#.utf8)
        JSONWriter.append(listMeta(page), to: &out)
        out.append(UInt8(ascii: "}"))
        return APIResponse(status: 200, headers: [("content-type", "application/json")], body: .bytes(out))
    }

    func respond(_ object: JSONValue, status: Int = 200, media: MediaType, warnings: [String] = []) async throws -> APIResponse {
        var response: APIResponse
        switch media.form {
        case .table:
            response = .json(TableConverter(definition: def, includeObject: query["includeObject"], version: media.tableVersion)
                .table([object]), status: status)
        case .partialMetadata:
            response = .json(TableConverter.partialMetadata(object), status: status)
        default:
            response = .json(object, status: status)
        }
        Self.addWarnings(warnings, to: &response)
        return response
    }

    // MARK: writes

    func body() throws -> JSONValue {
        try BodyDecoder.decode(request.body, contentType: request.header("content-type"), kind: def.kind)
    }

    /// Upstream's field validation: unknown fields are dropped (Ignore), reported as warnings (Warn, the
    /// default) or refused (Strict); values of the wrong JSON type are always a 400, unless `current` (the stored
    /// object a PUT or patch replaces) holds the very same values in the same places: an older binary's values are not the patch's fault, and
    /// the patch may be what fixes them one by one.
    func validateFields(_ object: inout JSONValue, current: JSONValue? = nil) throws -> [String] {
        let directive = query["fieldValidation"] ?? "Warn"
        guard ["Strict", "Warn", "Ignore"].contains(directive) else {
            throw StatusError.badRequest("fieldValidation parameter unsupported: \(directive)")
        }
        var unknownFields: [String]
        if let pruned = def.strategy.pruneUnknownFields(&object) {
            unknownFields = pruned
        } else if let schema = def.schema {
            var pruner = FieldPruner()
            do {
                try pruner.prune(&object, schema: schema, tolerating: current)
            } catch {
                throw StatusError.undecodable(kind: def.kind, version: def.version, error)
            }
            unknownFields = pruner.unknownFields
        } else {
            unknownFields = []
        }
        let unknown = unknownFields.map { "unknown field \"\($0)\"" }
        if directive == "Strict", !unknown.isEmpty {
            throw StatusError.badRequest("\(def.kind) in version \"\(def.version)\" cannot be handled as a \(def.kind): strict decoding error: "
                + unknown.joined(separator: ", "))
        }
        return directive == "Warn" ? unknown : []
    }

    func create(_ media: MediaType) async throws -> APIResponse {
        var object = try body()
        guard object.object != nil else { throw StatusError.badRequest("the body of the request must be a JSON object") }
        let warnings = try validateFields(&object)
        if !info.name.isEmpty { throw StatusError.methodNotSupported(def.groupResource, "create") }
        let created = try await store.create(namespace: namespace, object: object, context: context)
        return try await respond(created, status: 201, media: media, warnings: warnings)
    }

    func update(_ media: MediaType) async throws -> APIResponse {
        var object = try body()
        guard object.object != nil else { throw StatusError.badRequest("the body of the request must be a JSON object") }
        // Only a body that does not decode needs the stored object, to see whether its bad values are the store's own:
        // the read (and the second walk) happen on that path alone.
        let original = object
        let warnings: [String]
        do {
            warnings = try validateFields(&object)
        } catch let error as StatusError where error.code == 400 && def.schema != nil {
            guard let current = try? await store.get(namespace: namespace, name: info.name) else { throw error }
            object = original
            warnings = try validateFields(&object, current: current)
        }
        let (result, created) = try await store.update(namespace: namespace, name: info.name, object: object, context: context)
        return try await respond(result, status: created ? 201 : 200, media: media, warnings: warnings)
    }

    func patch(_ media: MediaType) async throws -> APIResponse {
        let contentType = (request.header("content-type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters() } ?? ""
        // Every built-in kind takes a strategic merge patch (one without merge keys in its schema merges lists whole);
        // custom resources do not, as upstream's CRD handler lists it.
        let patchTypes = def.owner == nil
            ? ["application/json-patch+json", "application/merge-patch+json", "application/strategic-merge-patch+json", "application/apply-patch+yaml"]
            : ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"]
        guard patchTypes.contains(contentType) else {
            throw StatusError(code: 415, reason: "UnsupportedMediaType",
                              message: "the body of the request was in an unknown format - accepted media types include: " + patchTypes.joined(separator: ", "))
        }
        let isApply = contentType == "application/apply-patch+yaml"
        if isApply, (query["fieldManager"] ?? "").isEmpty {
            throw StatusError.invalid(kind: "PatchOptions", group: "meta.k8s.io", name: "", [
                .required("fieldManager", "is required for apply patch")])
        }
        var patch = try BodyDecoder.decode(request.body, contentType: contentType, kind: def.kind)
        let schema = def.schema
        let name = info.name
        let handler = self
        let box = WarningBox([])
        var context = self.context
        // Server-side apply: the configuration is checked for unknown fields once, then merged by field ownership.
        var applyWarnings: [String] = []
        if isApply {
            guard patch.object != nil else { throw StatusError.badRequest("the apply configuration must be an object") }
            try checkApplyTypeMeta(patch)
            applyWarnings = try validateFields(&patch)
            context.isApply = true
        }
        let config = patch
        let configWarnings = applyWarnings
        let force = query.bool("force")
        let shape = FieldShape.of(def)
        let applyContext = context
        let (result, created) = try await store.guaranteedUpdate(namespace: namespace, name: name, context: context,
                                                                 createIfMissing: isApply) { current in
            var patched: JSONValue
            if isApply {
                patched = try ManagedFields.apply(config, to: current, manager: applyContext.manager, force: force,
                                                  subresource: applyContext.subresource, apiVersion: handler.def.apiVersion, shape: shape,
                                                  groupResource: handler.def.groupResource, name: name)
                box.value = configWarnings
                if let current { patched.setMeta("resourceVersion", .string(current.metaResourceVersion)) }
                if patched.metaName != name {
                    throw StatusError.badRequest("the name of the object (\(patched.metaName)) does not match the name on the URL (\(name))")
                }
                return patched
            }
            guard let current else { throw StatusError.notFound(handler.def.groupResource, name) }
            switch contentType {
            case "application/json-patch+json": patched = try JSONPatch.apply(config, to: current)
            case "application/merge-patch+json": patched = MergePatch.apply(config, to: current)
            default: patched = try StrategicMergePatch.apply(config, to: current, schema: schema)
            }
            box.value = try handler.validateFields(&patched, current: current)
            let requested = patched.metaResourceVersion
            if !requested.isEmpty, requested != current.metaResourceVersion {
                throw StatusError.conflict(handler.def.groupResource, name, StatusError.optimisticLockMessage)
            }
            if patched.metaName != name {
                throw StatusError.badRequest("the name of the object (\(patched.metaName)) does not match the name on the URL (\(name))")
            }
            patched.setMeta("resourceVersion", .string(current.metaResourceVersion))
            return patched
        }
        return try await respond(result, status: created ? 201 : 200, media: media, warnings: box.value)
    }

    /// `POST pods/<name>/binding`: a scheduler assigns the pod to `target.name`.
    func binding() async throws -> APIResponse {
        let body = try BodyDecoder.decode(request.body, contentType: request.header("content-type"), kind: "Binding")
        guard let node = body[path: ["target", "name"]]?.string, !node.isEmpty else {
            throw StatusError.invalid(kind: "Binding", group: "", name: info.name, [.required("target.name")])
        }
        if let kind = body[path: ["target", "kind"]]?.string, !kind.isEmpty, kind != "Node" {
            throw StatusError.invalid(kind: "Binding", group: "", name: info.name, [.notSupported("target.kind", kind, ["Node"])])
        }
        try await PodBinding.bind(namespace: namespace, name: info.name, uid: body[path: ["metadata", "uid"]]?.string, node: node,
                               store: store, context: context)
        return .json(["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success", "code": 201], status: 201)
    }

    /// `POST pods/<name>/eviction`: a delete the pod's PodDisruptionBudget allows (PodEviction).
    func eviction() async throws -> APIResponse {
        let body = try BodyDecoder.decode(request.body, contentType: request.header("content-type"), kind: "Eviction")
        let evict = try PodEviction.request(body, namespace: namespace, name: info.name)
        try await PodEviction.evict(evict, pods: store, budgets: server.store("policy", "v1", "poddisruptionbudgets"), context: context)
        return .json(["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success", "code": 201], status: 201)
    }

    /// An apply configuration must say what it is (upstream: `apiVersion` and `kind` are required for apply).
    func checkApplyTypeMeta(_ config: JSONValue) throws {
        let kind = config["kind"]?.string ?? "", apiVersion = config["apiVersion"]?.string ?? ""
        if kind.isEmpty || apiVersion.isEmpty {
            throw StatusError.badRequest("invalid object type: \(apiVersion.isEmpty ? "" : apiVersion + ", ")Kind=\(kind)")
        }
        if kind != def.kind || apiVersion != def.apiVersion {
            throw StatusError.badRequest("the apply configuration's apiVersion and kind (\(apiVersion), \(kind)) do not match the resource (\(def.apiVersion), \(def.kind))")
        }
    }

    func deleteOptions() throws -> DeleteOptions {
        var options = DeleteOptions()
        if !request.body.isEmpty {
            options = DeleteOptions(json: try BodyDecoder.decode(request.body, contentType: request.header("content-type"), kind: "DeleteOptions"))
        }
        if let g = query["gracePeriodSeconds"], let n = Int(g) { options.gracePeriodSeconds = n }
        if let p = query["propagationPolicy"] { options.propagationPolicy = p }
        if let p = options.propagationPolicy, !["Orphan", "Background", "Foreground"].contains(p) {
            throw StatusError.invalid(kind: "DeleteOptions", group: "meta.k8s.io", name: "", [
                .notSupported("propagationPolicy", p, ["Foreground", "Background", "Orphan", "nil"])])
        }
        return options
    }

    func delete(_ media: MediaType) async throws -> APIResponse {
        let options = try deleteOptions()
        var context = self.context
        context.deleteOptions = options
        switch try await store.delete(namespace: namespace, name: info.name, options: options, context: context) {
        case .pending(let object):
            // Not deleted yet (finalizers, a grace period): 200 with the object, as upstream (202 only for the
            // deprecated orphanDependents=false, which nothing sends any more).
            return try await respond(object, status: 200, media: media)
        case .deleted(let object):
            if def.strategy.returnsDeletedObject { return try await respond(object, media: media) }
            var details: JSONValue = ["name": .string(info.name), "kind": .string(def.resource), "uid": .string(object.metaUID)]
            if !def.group.isEmpty { details["group"] = .string(def.group) }
            return .json(["kind": "Status", "apiVersion": "v1", "metadata": .emptyObject, "status": "Success", "details": details])
        }
    }

    func deleteCollection(_ media: MediaType) async throws -> APIResponse {
        let options = try deleteOptions()
        let listed = try await store.list(namespace: namespace, options: try listOptions())
        var deleted: [JSONValue] = []
        for item in listed.items {
            do {
                switch try await store.delete(namespace: item.metaNamespace, name: item.metaName, options: options, context: context) {
                case .deleted(let o), .pending(let o): deleted.append(o)
                }
            } catch let error as StatusError where error.code == 404 {}
        }
        return .json(["kind": .string(def.kind + "List"), "apiVersion": .string(def.apiVersion),
                      "metadata": ["resourceVersion": .string(listed.resourceVersion)], "items": .array(deleted)])
    }
}

/// Carries warnings out of the (synchronous, Sendable) update closure.
typealias WarningBox = LockedValue<[String]>
