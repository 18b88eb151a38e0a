import KubeJSON

/// `/api`, `/api/v1`, `/apis`, `/apis/<group>[/<version>]`, and aggregated discovery
/// (`as=APIGroupDiscoveryList;g=apidiscovery.k8s.io;v=v2`, which kubectl 1.30+ asks for first).
struct Discovery {
    let catalog: ResourceCatalog
    /// The group/versions aggregated servers serve (remote APIServices), merged into `/apis` and aggregated discovery.
    var remotes: [RemoteGroupVersion] = []

    func serve(path: String, accept: String?) throws -> APIResponse? {
        let media = MediaType.negotiate(accept)
        let aggregated = media?.form == .discoveryV2
        switch path {
        case "/api":
            if aggregated { return aggregatedResponse(groups: [""]) }
            return .json(["kind": "APIVersions", "versions": ["v1"],
                          "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": ""]]])
        case "/apis":
            if aggregated { return aggregatedResponse(groups: mergedGroups().map(\.group)) }
            return .json(["kind": "APIGroupList", "apiVersion": "v1",
                          "groups": .array(mergedGroups().map { groupJSON($0.group, $0.versions) })])
        case "/api/v1":
            return .json(resourceList(group: "", version: "v1"))
        default:
            break
        }
        let parts = path.split(separator: "/").map(String.init)
        guard parts.first == "apis" else { return nil }
        if parts.count == 2, let g = mergedGroups().first(where: { $0.group == parts[1] }) {
            var json = groupJSON(g.group, g.versions)
            json["kind"] = "APIGroup"
            json["apiVersion"] = "v1"
            return .json(json)
        }
        if parts.count == 3, catalog.groups().contains(where: { $0.group == parts[1] && $0.versions.contains(parts[2]) }) {
            return .json(resourceList(group: parts[1], version: parts[2]))
        }
        return nil
    }

    func groupJSON(_ group: String, _ versions: [String]) -> JSONValue {
        let vs: [JSONValue] = versions.map { ["groupVersion": .string("\(group)/\($0)"), "version": .string($0)] }
        return ["name": .string(group), "versions": .array(vs), "preferredVersion": vs.first ?? .null]
    }

    func resourceList(group: String, version: String) -> JSONValue {
        var resources: [JSONValue] = []
        for def in catalog.definitions where def.group == group && def.version == version {
            var r: JSONValue = [
                "name": .string(def.resource), "singularName": .string(def.singular), "namespaced": .bool(def.namespaced),
                "kind": .string(def.kind), "verbs": .array(def.verbs.map { .string($0) }),
            ]
            if !def.shortNames.isEmpty { r["shortNames"] = .array(def.shortNames.map { .string($0) }) }
            if !def.categories.isEmpty { r["categories"] = .array(def.categories.map { .string($0) }) }
            if !def.isVirtual { r["storageVersionHash"] = .string(storageVersionHash(def)) }
            resources.append(r)
            if def.hasStatus {
                resources.append(["name": .string("\(def.resource)/status"), "singularName": "", "namespaced": .bool(def.namespaced),
                                  "kind": .string(def.kind), "verbs": ["get", "patch", "update"]])
            }
            for sub in def.subresources {
                var r: JSONValue = ["name": .string("\(def.resource)/\(sub.name)"), "singularName": "", "namespaced": .bool(def.namespaced),
                                    "kind": .string(sub.kind), "verbs": .array(sub.verbs.map { .string($0) })]
                // Group and version only when they differ from the resource's own (pods/eviction is policy/v1).
                if !sub.group.isEmpty, sub.group != def.group || sub.version != def.version {
                    r["group"] = .string(sub.group)
                    if !sub.version.isEmpty { r["version"] = .string(sub.version) }
                }
                resources.append(r)
            }
        }
        return ["kind": "APIResourceList", "apiVersion": "v1", "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
                "resources": .array(resources)]
    }

    /// Opaque, stable per group/version/kind (upstream hashes the storage version; clients only compare it).
    func storageVersionHash(_ def: ResourceDefinition) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "\(def.group)/\(def.version)/\(def.kind)".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return String(Base64.encode(withUnsafeBytes(of: h.bigEndian) { Array($0) }).prefix(11))
    }

    func aggregatedResponse(groups: [String]) -> APIResponse {
        var items: [JSONValue] = []
        let merged = mergedGroups()
        for group in groups {
            guard let g = group.isEmpty ? catalog.groups().first(where: { $0.group == group }) : merged.first(where: { $0.group == group }) else { continue }
            var versions: [JSONValue] = []
            for version in g.versions {
                if let remote = remotes.first(where: { $0.group == group && $0.version == version }) {
                    // A backend not heard from yet has nothing to list; one that stopped answering keeps its last list.
                    guard var entry = remote.discovery else { continue }
                    if !remote.available { entry["freshness"] = "Stale" }
                    versions.append(entry)
                    continue
                }
                var resources: [JSONValue] = []
                for def in catalog.definitions where def.group == group && def.version == version {
                    var r: JSONValue = [
                        "resource": .string(def.resource), "singularResource": .string(def.singular),
                        "scope": .string(def.namespaced ? "Namespaced" : "Cluster"),
                        "responseKind": ["group": .string(def.group), "version": .string(def.version), "kind": .string(def.kind)],
                        "verbs": .array(def.verbs.map { .string($0) }),
                    ]
                    if !def.shortNames.isEmpty { r["shortNames"] = .array(def.shortNames.map { .string($0) }) }
                    if !def.categories.isEmpty { r["categories"] = .array(def.categories.map { .string($0) }) }
                    var subresources: [JSONValue] = []
                    if def.hasStatus {
                        subresources.append(["subresource": "status", "verbs": ["get", "patch", "update"],
                                             "responseKind": ["group": .string(def.group), "version": .string(def.version), "kind": .string(def.kind)]])
                    }
                    for sub in def.subresources {
                        subresources.append(["subresource": .string(sub.name), "verbs": .array(sub.verbs.map { .string($0) }),
                                             "responseKind": ["group": .string(sub.group), "version": .string(sub.version), "kind": .string(sub.kind)]])
                    }
                    if !subresources.isEmpty { r["subresources"] = .array(subresources) }
                    resources.append(r)
                }
                versions.append(["version": .string(version), "resources": .array(resources), "freshness": "Current"])
            }
            if versions.isEmpty { continue }
            items.append(["metadata": ["name": .string(group), "creationTimestamp": .null], "versions": .array(versions)])
        }
        let body: JSONValue = ["kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": .emptyObject,
                               "items": .array(items)]
        return .json(body, contentType: "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
    }
}
