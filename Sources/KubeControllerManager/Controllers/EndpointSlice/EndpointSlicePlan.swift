import KubeJSON

/// upstream's reconciler, for one Service: which slices to create, update and delete so that the Service's
/// owned slices hold exactly the desired endpoints, at most `maxPerSlice` each. Existing slices are kept and
/// changed in place where they can be (an endpoint stays in the slice it is in), new endpoints fill the room left
/// before a new slice is made, and a Service with no endpoints of an address type keeps one empty placeholder slice.
struct EndpointSlicePlan {
    var create: [JSONValue] = []
    var update: [JSONValue] = []
    var delete: [JSONValue] = []

    init(service: JSONValue, desired: DesiredEndpoints, existing: [JSONValue], maxPerSlice: Int) {
        // The API refuses a slice of more than 1000 endpoints.
        let limit = min(1000, max(1, maxPerSlice))
        let uid = Lifecycle.uid(service)
        let labels = EndpointSliceObjects.labels(for: service)
        var byType: [String: [JSONValue]] = [:]
        for slice in existing.sorted(by: { Lifecycle.name($0) < Lifecycle.name($1) }) {
            let type = slice["addressType"]?.string ?? ""
            // Slices of another Service by this name (an older one) or of a family the Service no longer has go.
            if EndpointSliceObjects.ownerUID(slice) != uid || desired.groups[type] == nil {
                delete.append(slice)
            } else {
                byType[type, default: []].append(slice)
            }
        }
        for type in desired.groups.keys.sorted() {
            plan(type: type, groups: desired.groups[type] ?? [:], existing: byType[type] ?? [], service: service, labels: labels,
                 limit: limit)
        }
        recycle(uid: uid)
    }

    /// upstream's finalize: a slice that would be created while another of the Service's slices of the same
    /// address type would be deleted becomes an update of that one (consumers see one change, not two, and the
    /// name stays). A slice of an older Service by the same name is never reused: the collector may be removing it.
    private mutating func recycle(uid: String) {
        var kept: [JSONValue] = []
        for var old in delete {
            guard let index = create.lastIndex(where: { $0["addressType"] == old["addressType"] }),
                  EndpointSliceObjects.ownerUID(old) == uid else {
                kept.append(old)
                continue
            }
            let new = create.remove(at: index)
            for field in ["endpoints", "ports"] { old[field] = new[field] }
            old[path: ["metadata", "labels"]] = new[path: ["metadata", "labels"]]
            update.append(old)
        }
        delete = kept
    }

    private mutating func plan(type: String, groups: [String: DesiredEndpoints.Group], existing: [JSONValue], service: JSONValue,
                               labels: [String: String], limit: Int) {
        var kept: [JSONValue] = []
        var deleted: [JSONValue] = []
        var slicesByPorts: [String: [JSONValue]] = [:]
        for slice in existing {
            slicesByPorts[DesiredEndpoints.portsKey(slice["ports"]?.array ?? []), default: []].append(slice)
        }
        for (portsKey, slices) in slicesByPorts where groups[portsKey] == nil { deleted += slices }
        var created: [JSONValue] = []
        var updated: [JSONValue] = []
        for portsKey in groups.keys.sorted() {
            guard let group = groups[portsKey] else { continue }
            var remaining: [String: JSONValue] = [:]
            var order: [String] = []
            for endpoint in group.endpoints {
                let key = DesiredEndpoints.endpointKey(endpoint)
                if remaining.updateValue(endpoint, forKey: key) == nil { order.append(key) }
            }
            // Existing slices first: each keeps the endpoints it has that are still wanted, in their current form.
            var candidates: [(slice: JSONValue, changed: Bool)] = []
            for slice in slicesByPorts[portsKey] ?? [] {
                let current = slice["endpoints"]?.array ?? []
                var next: [JSONValue] = []
                for endpoint in current {
                    guard next.count < limit, let wanted = remaining.removeValue(forKey: DesiredEndpoints.endpointKey(endpoint)) else { continue }
                    next.append(wanted)
                }
                var copy = slice
                copy["endpoints"] = .array(next)
                candidates.append((copy, next != current))
            }
            // New endpoints fill slices being written anyway, then unchanged ones, then new slices.
            var pending = order.compactMap { remaining[$0] }
            for pass in [true, false] {
                for i in candidates.indices where candidates[i].changed == pass && !pending.isEmpty {
                    var endpoints = candidates[i].slice["endpoints"]?.array ?? []
                    let room = limit - endpoints.count
                    guard room > 0 else { continue }
                    endpoints += pending.prefix(room)
                    pending.removeFirst(min(room, pending.count))
                    candidates[i].slice["endpoints"] = .array(endpoints)
                    candidates[i].changed = true
                }
            }
            for (index, candidate) in candidates.enumerated() {
                // A slice left with nothing goes (the placeholder rule below may keep one).
                if (candidate.slice["endpoints"]?.array ?? []).isEmpty {
                    deleted.append((slicesByPorts[portsKey] ?? [])[index])
                } else if candidate.changed {
                    updated.append(candidate.slice)
                } else {
                    kept.append(candidate.slice)
                }
            }
            while !pending.isEmpty {
                let chunk = Array(pending.prefix(limit))
                pending.removeFirst(chunk.count)
                created.append(EndpointSliceObjects.newSlice(service: service, addressType: type, ports: group.ports,
                                                             endpoints: chunk, labels: labels))
            }
        }
        // A Service with nothing of this address type keeps one empty slice, so that consumers see it was handled.
        if kept.isEmpty, updated.isEmpty, created.isEmpty {
            if let index = deleted.firstIndex(where: Self.isPlaceholder) {
                kept.append(deleted.remove(at: index))
            } else {
                created.append(EndpointSliceObjects.newSlice(service: service, addressType: type, ports: [], endpoints: [], labels: labels))
            }
        }
        // A Service's label change reaches every slice it keeps.
        for slice in kept where Lifecycle.labels(slice) != labels { updated.append(slice) }
        for i in updated.indices { updated[i][path: ["metadata", "labels"]] = JSONValue(labels) }
        create += created
        update += updated
        delete += deleted
    }

    static let triggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"

    /// Every slice written says when the change it carries began (kube-proxy's programming latency metric), or
    /// loses a stale stamp when the sync was not caused by a pod or Service change.
    mutating func stamp(triggerTime: String?) {
        func apply(_ slice: inout JSONValue) {
            var annotations = slice[path: ["metadata", "annotations"]]?.stringMap ?? [:]
            annotations[Self.triggerTimeAnnotation] = triggerTime
            slice[path: ["metadata", "annotations"]] = annotations.isEmpty ? nil : JSONValue(annotations)
        }
        for i in create.indices { apply(&create[i]) }
        for i in update.indices { apply(&update[i]) }
    }

    static func isPlaceholder(_ slice: JSONValue) -> Bool {
        (slice["endpoints"]?.array ?? []).isEmpty && (slice["ports"]?.array ?? []).isEmpty
    }
}
