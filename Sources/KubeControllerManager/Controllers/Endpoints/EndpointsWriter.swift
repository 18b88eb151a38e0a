import ControllerRuntime
import KubeClient
import KubeJSON

extension EndpointsController {
    /// The end of syncService: the Endpoints object is written only when its subsets, labels or capacity marker
    /// differ from what is stored.
    func write(_ service: JSONValue, subsets input: [JSONValue], triggerTime: String?) async throws {
        let key = ObjectCache.key(service)
        let (namespace, name) = Lifecycle.split(key)
        let existing = endpoints.cache.get(key)
        var subsets = input
        let truncated = Self.truncate(&subsets)

        var labels = Lifecycle.labels(service)
        let clusterIP = service[path: ["spec", "clusterIP"]]?.string ?? ""
        if clusterIP.isEmpty || clusterIP == "None" { labels[Self.headlessLabel] = "" } else { labels[Self.headlessLabel] = nil }

        var annotations = existing?[path: ["metadata", "annotations"]]?.stringMap ?? [:]
        if truncated { annotations[Self.overCapacityAnnotation] = "truncated" } else { annotations[Self.overCapacityAnnotation] = nil }

        if let existing {
            let sameSubsets = (existing["subsets"]?.array ?? []) == subsets
            let sameLabels = Lifecycle.labels(existing) == labels
            let sameCapacity = existing[path: ["metadata", "annotations", Self.overCapacityAnnotation]]?.string
                == annotations[Self.overCapacityAnnotation]
            if sameSubsets && sameLabels && sameCapacity { return }
        }
        if let triggerTime { annotations[Self.triggerTimeAnnotation] = triggerTime } else { annotations[Self.triggerTimeAnnotation] = nil }

        var object: JSONValue = existing ?? ["apiVersion": "v1", "kind": "Endpoints",
                                             "metadata": ["name": .string(name), "namespace": .string(namespace)]]
        object[path: ["metadata", "labels"]] = labels.isEmpty ? nil : JSONValue(labels)
        object[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : JSONValue(annotations)
        object["subsets"] = subsets.isEmpty ? nil : .array(subsets)
        if existing == nil {
            do {
                _ = try await context.client.create(.endpoints, namespace: namespace, object)
            } catch let error as APIError where error.code == 403 && error.message.contains("being terminated") {
                // The namespace is going; the Endpoints would go with it.
                return
            }
        } else {
            _ = try await context.client.update(.endpoints, object)
        }
    }

    /// truncateEndpoints: at most `maxCapacity` addresses, ready ones kept before not-ready ones, each subset
    /// trimmed in proportion to its size.
    static func truncate(_ subsets: inout [JSONValue]) -> Bool {
        func count(_ subset: JSONValue, _ field: String) -> Int { subset[field]?.array?.count ?? 0 }
        let total = subsets.reduce(0) { $0 + count($1, "addresses") + count($1, "notReadyAddresses") }
        guard total > maxCapacity else { return false }
        let ready = subsets.reduce(0) { $0 + count($1, "addresses") }
        var remaining = maxCapacity
        var canBeReady = min(ready, maxCapacity)
        var canBeNotReady = maxCapacity - canBeReady
        for index in subsets.indices {
            let readyHere = count(subsets[index], "addresses")
            let notReadyHere = count(subsets[index], "notReadyAddresses")
            let keepReady = min(readyHere, canBeReady, remaining)
            canBeReady -= keepReady
            remaining -= keepReady
            let keepNotReady = min(notReadyHere, canBeNotReady, remaining)
            canBeNotReady -= keepNotReady
            remaining -= keepNotReady
            if let addresses = subsets[index]["addresses"]?.array {
                subsets[index]["addresses"] = keepReady == 0 ? nil : .array(Array(addresses.prefix(keepReady)))
            }
            if let addresses = subsets[index]["notReadyAddresses"]?.array {
                subsets[index]["notReadyAddresses"] = keepNotReady == 0 ? nil : .array(Array(addresses.prefix(keepNotReady)))
            }
        }
        subsets.removeAll { $0["addresses"] == nil && $0["notReadyAddresses"] == nil }
        return true
    }
}
