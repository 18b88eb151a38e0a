import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

extension EndpointsController {
    /// The end of syncService: the Endpoints object is written only when its subsets, labels or capacity marker
    /// differ from what is stored. An existing object is written back as stored with those changed (fields
    /// Kubestrap does not model stay).
    func write(_ service: Typed<Service>, subsets input: [EndpointSubset], triggerTime: String?) async throws {
        let key = ObjectCache.key(service.json)
        let (namespace, name) = Lifecycle.split(key)
        var existing: Typed<Endpoints>?
        if let stored = endpoints.cache.get(key) {
            do {
                existing = try Workloads.typed(stored)
            } catch {
                // This controller's own object: it is written again whole, as a new one would be.
                context.logger.warning("endpoints-controller: rewriting \(key): \(error)")
            }
        }
        var subsets = input
        let truncated = Self.truncate(&subsets)

        var labels = service.object.metadata.labels ?? [:]
        let clusterIP = service.object.spec.clusterIP
        if clusterIP.isEmpty || clusterIP == "None" { labels[Self.headlessLabel] = "" } else { labels[Self.headlessLabel] = nil }

        let current = existing?.object
        var annotations = current?.metadata.annotations ?? [:]
        if truncated { annotations[Self.overCapacityAnnotation] = "truncated" } else { annotations[Self.overCapacityAnnotation] = nil }

        if let current {
            let sameSubsets = (current.subsets ?? []) == subsets
            let sameLabels = (current.metadata.labels ?? [:]) == labels
            let sameCapacity = current.metadata.annotations?[Self.overCapacityAnnotation] == annotations[Self.overCapacityAnnotation]
            if sameSubsets && sameLabels && sameCapacity { return }
        }
        if let triggerTime { annotations[Self.triggerTimeAnnotation] = triggerTime } else { annotations[Self.triggerTimeAnnotation] = nil }

        func change(_ endpoints: inout Endpoints) {
            endpoints.metadata.labels = labels.isEmpty ? nil : labels
            endpoints.metadata.annotations = annotations.isEmpty ? nil : annotations
            endpoints.subsets = subsets.isEmpty ? nil : subsets
        }
        if let existing {
            _ = try await context.client.update(.endpoints, existing.modified(change))
        } else if var object = endpoints.cache.get(key) {
            object[path: ["metadata", "labels"]] = labels.isEmpty ? nil : JSONValue(labels)
            object[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : JSONValue(annotations)
            object["subsets"] = subsets.isEmpty ? nil : try JSONValueEncoder().encode(subsets)
            _ = try await context.client.update(.endpoints, object)
        } else {
            var new = Endpoints(metadata: ObjectMeta(name: name, namespace: namespace))
            change(&new)
            do {
                _ = try await context.client.create(.endpoints, namespace: namespace, JSONValueEncoder().encode(new))
            } catch let error as APIError where error.code == 403 && error.message.contains("being terminated") {
                // The namespace is going; the Endpoints would go with it.
                return
            }
        }
    }

    /// truncateEndpoints: at most `maxCapacity` addresses, ready ones kept before not-ready ones, each subset
    /// trimmed in proportion to its size.
    static func truncate(_ subsets: inout [EndpointSubset]) -> Bool {
        let total = subsets.reduce(0) { $0 + ($1.addresses?.count ?? 0) + ($1.notReadyAddresses?.count ?? 0) }
        guard total > maxCapacity else { return false }
        let ready = subsets.reduce(0) { $0 + ($1.addresses?.count ?? 0) }
        var remaining = maxCapacity
        var canBeReady = min(ready, maxCapacity)
        var canBeNotReady = maxCapacity - canBeReady
        for index in subsets.indices {
            let keepReady = min(subsets[index].addresses?.count ?? 0, canBeReady, remaining)
            canBeReady -= keepReady
            remaining -= keepReady
            let keepNotReady = min(subsets[index].notReadyAddresses?.count ?? 0, canBeNotReady, remaining)
            canBeNotReady -= keepNotReady
            remaining -= keepNotReady
            if let addresses = subsets[index].addresses {
                subsets[index].addresses = keepReady == 0 ? nil : Array(addresses.prefix(keepReady))
            }
            if let addresses = subsets[index].notReadyAddresses {
                subsets[index].notReadyAddresses = keepNotReady == 0 ? nil : Array(addresses.prefix(keepNotReady))
            }
        }
        subsets.removeAll { $0.addresses == nil && $0.notReadyAddresses == nil }
        return true
    }
}
