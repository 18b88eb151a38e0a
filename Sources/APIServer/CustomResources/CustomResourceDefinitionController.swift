import KubeJSON
import KubeStorage
import Logging

/// Serves what CustomResourceDefinitions define (upstream's apiextensions-apiserver controllers, in process): a CRD
/// whose names are free is served at once and marked NamesAccepted and Established (`kubectl wait
/// --for=condition=established` works); one whose plural or kind is taken is not served and says why; a deleted CRD
/// takes its custom resources with it before it goes.
actor CustomResourceDefinitionController {
    static let prefix = "/registry/apiextensions.k8s.io/customresourcedefinitions/"

    private let logger: Logger
    private var task: Task<Void, Never>?
    /// CRDs being finalized (their custom resources deleted), by name.
    private var finalizations: [String: Task<Void, Never>] = [:]

    init(logger: Logger) { self.logger = logger }

    /// Serves the stored CRDs before the apiserver reports ready, then follows changes. Returns once it follows them.
    func start(server: APIServer) async {
        if let list = try? await server.storage.range(prefix: Self.prefix, startAfter: nil, limit: 0) {
            for kv in list.kvs {
                if let crd = try? JSONParser.parse(kv.value) { await sync(crd, server: server) }
            }
        }
        let reflector = StorageReflector(storage: server.storage, prefix: Self.prefix, logger: logger)
        task = Task {
            await reflector.run { event in
                guard let crd = event.object else { return }
                if event.type == .delete {
                    server.registry.serve([], for: crd.metaName)
                    await server.aggregator.catalogChanged(server: server)
                } else {
                    await self.sync(crd, server: server)
                }
            }
        }
    }

    /// Returns once stopped, a pass under way finished: nothing it runs writes after that.
    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
        // Finalizations under way delete custom resources: they end before the controller counts as stopped.
        for finalization in finalizations.values { await finalization.value }
    }

    private func sync(_ crd: JSONValue, server: APIServer) async {
        let name = crd.metaName
        if crd.metaDeletionTimestamp != nil {
            guard finalizations[name] == nil else { return }
            let logger = self.logger
            finalizations[name] = Task {
                await Self.finalize(crd, server: server, logger: logger)
                self.finished(name)
            }
            return
        }
        let group = crd[path: ["spec", "group"]]?.string ?? ""
        let names = crd[path: ["spec", "names"]] ?? .emptyObject
        let plural = names["plural"]?.string ?? ""
        let kind = names["kind"]?.string ?? ""
        let conflict = server.registry.conflict(group: group, plural: plural, kind: kind, owner: name)
        if conflict == nil {
            server.registry.serve(CustomResourceDefinitions.served(by: crd), for: name)
        } else {
            server.registry.serve([], for: name)
        }
        await server.aggregator.catalogChanged(server: server)
        await updateStatus(crd, conflict: conflict, server: server)
    }

    private func finished(_ name: String) { finalizations[name] = nil }

    /// Status as upstream writes it: acceptedNames, NamesAccepted and Established conditions, storedVersions.
    private func updateStatus(_ crd: JSONValue, conflict: String?, server: APIServer) async {
        guard let store = server.store("apiextensions.k8s.io", "v1", "customresourcedefinitions") else { return }
        let context = RequestContext(user: UserInfo(name: "system:apiserver", groups: ["system:masters"]), subresource: "status")
        let now = Timestamp.format(Timestamp.now())
        do {
            _ = try await store.guaranteedUpdate(namespace: "", name: crd.metaName, context: context) { current in
                guard var object = current else { throw StatusError.notFound(GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"), crd.metaName) }
                let old = object["status"] ?? .emptyObject
                var status = old
                var conditions: [JSONValue] = []
                func condition(_ type: String, _ ok: Bool, _ reason: String, _ message: String) -> JSONValue {
                    let previous = old["conditions"]?.array?.first { $0["type"]?.string == type }
                    let state: JSONValue = ok ? "True" : "False"
                    let since = previous?["status"] == state ? (previous?["lastTransitionTime"] ?? .string(now)) : .string(now)
                    return ["type": .string(type), "status": state, "reason": .string(reason), "message": .string(message),
                            "lastTransitionTime": since]
                }
                if let conflict {
                    conditions.append(condition("NamesAccepted", false, "NameConflict", conflict))
                    conditions.append(condition("Established", false, "NotAccepted", "not all names are accepted"))
                } else {
                    status["acceptedNames"] = object[path: ["spec", "names"]] ?? .emptyObject
                    conditions.append(condition("NamesAccepted", true, "NoConflicts", "no conflicts found"))
                    conditions.append(condition("Established", true, "InitialNamesAccepted", "the initial names have been accepted"))
                }
                status["conditions"] = .array(conditions)
                var stored = old["storedVersions"]?.array ?? []
                for version in object[path: ["spec", "versions"]]?.array ?? [] where version["storage"]?.bool == true {
                    if let v = version["name"], !stored.contains(v) { stored.append(v) }
                }
                status["storedVersions"] = .array(stored)
                if status["acceptedNames"] == nil { status["acceptedNames"] = ["kind": "", "plural": ""] }
                object["status"] = status
                return object
            }
        } catch let error as StatusError where error.code == 404 {
        } catch {
            logger.warning("customresourcedefinition controller: status of \(crd.metaName): \(error)")
        }
    }

    /// Deletes every custom resource of the CRD (waiting for their finalizers), then lets the CRD go.
    private static func finalize(_ crd: JSONValue, server: APIServer, logger: Logger) async {
        let name = crd.metaName
        let context = RequestContext(user: UserInfo(name: "system:apiserver", groups: ["system:masters"]))
        let definitions = server.catalog.definitions.filter { $0.owner == name }
        let prefix = "/registry/\(crd[path: ["spec", "group"]]?.string ?? "")/\(crd[path: ["spec", "names", "plural"]]?.string ?? "")/"
        var attempt = 0
        while !Task.isCancelled {
            var remaining = 0
            if let def = definitions.first, let store = server.store(def.group, def.version, def.resource),
               let list = try? await store.list(namespace: "", options: ListOptions()) {
                for item in list.items {
                    remaining += 1
                    _ = try? await store.delete(namespace: item.metaNamespace, name: item.metaName, options: DeleteOptions(), context: context)
                }
            } else if let stored = try? await server.storage.range(prefix: prefix, startAfter: nil, limit: 0) {
                // No version is served: nothing can honour finalizers; the objects go directly.
                for kv in stored.kvs { _ = try? await server.storage.delete(kv.key, expectedModRevision: nil) }
            }
            if remaining == 0 { break }
            attempt += 1
            if attempt == 1 { logger.info("waiting for \(remaining) custom resources of \(name) to be deleted") }
            try? await Task.sleep(for: .milliseconds(min(1000, 50 * attempt)))
        }
        server.registry.serve([], for: name)
        guard let crds = server.store("apiextensions.k8s.io", "v1", "customresourcedefinitions") else { return }
        do {
            _ = try await crds.guaranteedUpdate(namespace: "", name: name, context: context) { current in
                guard var object = current else { throw StatusError.notFound(GroupResource(group: "apiextensions.k8s.io", resource: "customresourcedefinitions"), name) }
                object.setMeta("finalizers", .array(object.metaFinalizers.filter { $0 != CustomResourceDefinitionStrategy.cleanupFinalizer }.map { .string($0) }))
                return object
            }
            logger.info("customresourcedefinition \(name) deleted with its custom resources")
        } catch let error as StatusError where error.code == 404 {
        } catch {
            logger.warning("customresourcedefinition controller: finalizing \(name): \(error)")
        }
    }
}
