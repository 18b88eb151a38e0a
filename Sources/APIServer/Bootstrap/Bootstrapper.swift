import KubeJSON

/// What upstream's post-start hooks create on every start, idempotently: the system namespaces, the RBAC
/// bootstrap policy (missing objects only; user edits are kept), and the `kubernetes` Service.
struct Bootstrapper {
    let server: APIServer

    func run() async throws {
        let system = RequestContext(user: UserInfo(name: "system:apiserver", groups: ["system:masters"]))
        if let namespaces = server.store("", "v1", "namespaces") {
            for name in ["default", "kube-system", "kube-public", "kube-node-lease"] {
                try await ensure(namespaces, namespace: "", ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]], system)
            }
        }
        let policy: [(String, [JSONValue])] = [
            ("clusterroles", BootstrapPolicy.clusterRoles), ("clusterrolebindings", BootstrapPolicy.clusterRoleBindings),
            ("roles", BootstrapPolicy.namespacedRoles), ("rolebindings", BootstrapPolicy.namespacedRoleBindings),
        ]
        for (resource, objects) in policy {
            guard let store = server.store("rbac.authorization.k8s.io", "v1", resource) else { continue }
            for object in objects { try await reconcile(store, object, system) }
        }
        // upstream's scheduling/bootstrap-system-priority-classes post-start hook.
        if let classes = server.store("scheduling.k8s.io", "v1", "priorityclasses") {
            for (name, value, description) in [
                ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
                ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
            ] {
                try await ensure(classes, namespace: "", ["apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                                                          "metadata": ["name": .string(name)], "value": .int(Int64(value)),
                                                          "description": .string(description)], system)
            }
        }
        if let services = server.store("", "v1", "services") {
            let service: JSONValue = [
                "apiVersion": "v1", "kind": "Service",
                "metadata": ["name": "kubernetes", "namespace": "default",
                             "labels": ["component": "apiserver", "provider": "kubernetes"]],
                "spec": ["clusterIP": .string(server.options.serviceClusterIPRange.firstUsable), "type": "ClusterIP",
                         "ports": [["name": "https", "port": .int(Int64(server.options.kubernetesServicePort)), "protocol": "TCP",
                                    "targetPort": .int(Int64(server.options.securePort))]],
                         "sessionAffinity": "None"],
            ]
            try await ensure(services, namespace: "default", service, system)
        }
        if let endpoints = server.store("", "v1", "endpoints") {
            let desired: JSONValue = [
                "apiVersion": "v1", "kind": "Endpoints",
                "metadata": ["name": "kubernetes", "namespace": "default", "labels": ["endpointslice.kubernetes.io/skip-mirror": "true"]],
                "subsets": [["addresses": [["ip": .string(server.options.advertiseAddress)]],
                             "ports": [["name": "https", "port": .int(Int64(server.options.securePort)), "protocol": "TCP"]]]],
            ]
            if let current = try? await endpoints.get(namespace: "default", name: "kubernetes") {
                if current["subsets"] != desired["subsets"] {
                    var updated = current
                    updated["subsets"] = desired["subsets"]
                    _ = try await endpoints.update(namespace: "default", name: "kubernetes", object: updated, context: system)
                }
            } else {
                try await ensure(endpoints, namespace: "default", desired, system)
            }
        }
        try await ensureKubernetesEndpointSlice(system)
        try await ensureFlowControl(system)
        try await publishClientCAs(system)
    }

    /// Upstream's `start-cluster-authentication-info-controller`: kube-system/extension-apiserver-authentication holds
    /// the client CA and the front-proxy settings as this server runs with them, rewritten when they changed.
    private func publishClientCAs(_ context: RequestContext) async throws {
        let data = server.options.extensionAPIServerAuthentication
        guard !data.isEmpty, let configMaps = server.store("", "v1", "configmaps") else { return }
        let wanted = JSONValue.object(data.mapValues { .string($0) })
        if var current = try? await configMaps.get(namespace: "kube-system", name: "extension-apiserver-authentication") {
            guard current["data"] != wanted else { return }
            current["data"] = wanted
            _ = try await configMaps.update(namespace: "kube-system", name: "extension-apiserver-authentication", object: current, context: context)
            return
        }
        try await ensure(configMaps, namespace: "kube-system", [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": ["name": "extension-apiserver-authentication", "namespace": "kube-system"],
            "data": wanted,
        ], context)
    }

    /// Creates a missing policy object; one that exists and still carries `autoupdate: "true"` gains the rules or
    /// subjects it lacks (upstream's reconciliation, additive only), so a cluster made by an older release learns
    /// new permissions on upgrade while what an admin added stays.
    private func reconcile(_ store: GenericStore, _ desired: JSONValue, _ context: RequestContext) async throws {
        let namespace = desired.metaNamespace
        guard let current = try? await store.get(namespace: namespace, name: desired.metaName) else {
            return try await ensure(store, namespace: namespace, desired, context)
        }
        guard current[path: ["metadata", "annotations", "rbac.authorization.kubernetes.io/autoupdate"]]?.string == "true",
              current["aggregationRule"] == nil else { return }
        let key = desired["rules"] != nil ? "rules" : "subjects"
        let have = current[key]?.array ?? []
        let missing = (desired[key]?.array ?? []).filter { wanted in
            !have.contains { key == "rules" ? PolicyRuleCover.covers($0, wanted) : PolicyRuleCover.sameSubject($0, wanted) }
        }
        guard !missing.isEmpty else { return }
        var updated = current
        updated[key] = .array(have + missing)
        do {
            _ = try await store.update(namespace: namespace, name: desired.metaName, object: updated, context: context)
        } catch let e as StatusError where e.code == 409 {
            // Someone changed it meanwhile; the next start reconciles again.
        }
    }

    func ensure(_ store: GenericStore, namespace: String, _ object: JSONValue, _ context: RequestContext) async throws {
        do {
            _ = try await store.get(namespace: namespace, name: object.metaName)
        } catch let error as StatusError where error.code == 404 {
            do { _ = try await store.create(namespace: namespace, object: object, context: context) } catch let e as StatusError where e.code == 409 {}
        }
    }
}
