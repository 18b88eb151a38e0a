import KubeJSON
import Logging

/// What an aggregated server lists for aggregated discovery (apidiscovery.k8s.io/v2): its own `/apis` in that form
/// when it speaks it, else the entry built from its APIResourceList, as upstream's discovery manager falls back.
struct RemoteDiscovery {
    let transport: (any AggregationTransport)?
    let logger: Logger

    static let accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;q=0.9"

    /// The APIVersionDiscovery of `group`/`version`.
    func versionEntry(group: String, version: String, at endpoint: AggregatedEndpoint, legacy: JSONValue) async -> JSONValue {
        if let transport, let response = try? await transport.send(to: endpoint, method: "GET", path: "/apis",
                                                                   headers: [("Accept", Self.accept), ("X-Remote-User", "system:kube-aggregator"),
                                                                             ("X-Remote-Group", "system:masters")],
                                                                   body: [], timeout: AvailabilityCheck.timeout),
           response.status == 200, let body = try? await response.collect(), let list = try? JSONParser.parse(body),
           list["kind"]?.string == "APIGroupDiscoveryList",
           let groupEntry = list["items"]?.array?.first(where: { $0[path: ["metadata", "name"]]?.string == group }),
           var entry = groupEntry["versions"]?.array?.first(where: { $0["version"]?.string == version }) {
            entry["freshness"] = "Current"
            return entry
        }
        return Self.fromResourceList(legacy, version: version)
    }

    /// An APIResourceList as an APIVersionDiscovery: `x/y` entries become subresources of `x`.
    static func fromResourceList(_ list: JSONValue, version: String) -> JSONValue {
        let items = list["resources"]?.array ?? []
        let groupVersion = list["groupVersion"]?.string ?? ""
        let group = groupVersion.split(separator: "/").count == 2 ? String(groupVersion.split(separator: "/")[0]) : ""
        var resources: [JSONValue] = []
        for item in items {
            let name = item["name"]?.string ?? ""
            guard !name.isEmpty, !name.contains("/") else { continue }
            var r: JSONValue = [
                "resource": .string(name), "singularResource": .string(item["singularName"]?.string ?? ""),
                "scope": .string(item["namespaced"]?.bool == true ? "Namespaced" : "Cluster"),
                "responseKind": ["group": .string(item["group"]?.string ?? group), "version": .string(item["version"]?.string ?? version),
                                 "kind": .string(item["kind"]?.string ?? "")],
                "verbs": item["verbs"] ?? [],
            ]
            if let short = item["shortNames"], short.array?.isEmpty == false { r["shortNames"] = short }
            if let categories = item["categories"], categories.array?.isEmpty == false { r["categories"] = categories }
            var subresources: [JSONValue] = []
            for sub in items {
                let subName = sub["name"]?.string ?? ""
                guard subName.hasPrefix(name + "/") else { continue }
                subresources.append(["subresource": .string(String(subName.dropFirst(name.count + 1))), "verbs": sub["verbs"] ?? [],
                                     "responseKind": ["group": .string(sub["group"]?.string ?? group),
                                                      "version": .string(sub["version"]?.string ?? version),
                                                      "kind": .string(sub["kind"]?.string ?? "")]])
            }
            if !subresources.isEmpty { r["subresources"] = .array(subresources) }
            resources.append(r)
        }
        return ["version": .string(version), "resources": .array(resources), "freshness": "Current"]
    }
}
