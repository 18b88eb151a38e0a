import KubeJSON
import KubeStorage
import Logging

/// Finishes namespace deletion inside the apiserver (upstream runs this in kube-controller-manager, which a
/// standalone apiserver lacks — namespaces would stay Terminating forever, the envtest trap): deletes every
/// object in the namespace, then the namespace itself.
actor NamespaceController: InProcessController {
    private let logger: Logger
    private var task: Task<Void, Never>?

    init(logger: Logger) { self.logger = logger }

    func start(server: APIServer) {
        guard let namespaces = server.store("", "v1", "namespaces") else { return }
        let logger = self.logger
        task = Task {
            while !Task.isCancelled {
                do {
                    let revision = try await server.storage.currentRevision()
                    let list = try await namespaces.list(namespace: "", options: ListOptions())
                    for ns in list.items where ns.metaDeletionTimestamp != nil {
                        await Self.finalize(ns.metaName, server: server, namespaces: namespaces, logger: logger)
                    }
                    let stream = try await server.storage.watch(prefix: "/registry/namespaces/", afterRevision: revision)
                    for try await batch in stream {
                      for event in batch where event.type == .put {
                        guard let ns = try? JSONParser.parse(event.kv.value), ns.metaDeletionTimestamp != nil else { continue }
                        await Self.finalize(ns.metaName, server: server, namespaces: namespaces, logger: logger)
                      }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.warning("namespace controller: \(error); restarting")
                    try? await Task.sleep(nanoseconds: 500_000_000)
                }
            }
        }
    }

    func stop() async {
        let running = task
        task = nil
        running?.cancel()
        await running?.value
    }

    static func finalize(_ name: String, server: APIServer, namespaces: GenericStore, logger: Logger) async {
        let system = RequestContext(user: UserInfo(name: "system:serviceaccount:kube-system:namespace-controller", groups: ["system:masters"]))
        for def in server.catalog.definitions where def.namespaced && !def.isVirtual {
            guard let store = server.store(def.group, def.version, def.resource) else { continue }
            guard let list = try? await store.list(namespace: name, options: ListOptions()) else { continue }
            for item in list.items {
                var options = DeleteOptions()
                options.gracePeriodSeconds = 0
                do {
                    // Finalizers the apiserver does not own would block forever without their controller.
                    if !item.metaFinalizers.isEmpty {
                        _ = try await store.guaranteedUpdate(namespace: name, name: item.metaName, context: system) { current in
                            var o = current ?? item
                            o.setMeta("finalizers", nil)
                            return o
                        }
                    }
                    _ = try await store.delete(namespace: name, name: item.metaName, options: options, context: system)
                } catch let error as StatusError where error.code == 404 {
                } catch {
                    logger.warning("namespace controller: deleting \(def.resource) \(name)/\(item.metaName): \(error)")
                }
            }
        }
        do {
            let key = "/registry/namespaces/\(name)"
            if let kv = try await server.storage.get(key),
               let ns = try? JSONParser.parse(kv.value), ns.metaDeletionTimestamp != nil {
                _ = try await server.storage.delete(key, expectedModRevision: kv.modRevision)
                logger.info("namespace \(name) deleted")
            }
        } catch let error as StatusError where error.code == 404 {
        } catch {
            logger.warning("namespace controller: finalizing namespace \(name): \(error)")
        }
    }
}
