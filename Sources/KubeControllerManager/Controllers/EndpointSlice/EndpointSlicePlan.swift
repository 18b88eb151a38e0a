import KubeAPI
import KubeJSON

/// upstream's reconciler, for one Service: which slices to create, update and delete so that the Service's
/// owned slices hold exactly the desired endpoints, at most `maxPerSlice` each. Existing slices are kept and
/// changed in place where they can be (an endpoint stays in the slice it is in), new endpoints fill the room left
/// before a new slice is made, and a Service with no endpoints of an address type keeps one empty placeholder slice.
struct EndpointSlicePlan {
    /// A stored slice and what it becomes.
    struct Update {
        var stored: Typed<EndpointSlice>
        var slice: EndpointSlice
    }

    var create: [EndpointSlice] = []
    var update: [Update] = []
    var delete: [Typed<EndpointSlice>] = []

    init(service: Service, desired: DesiredEndpoints, existing: [Typed<EndpointSlice>], maxPerSlice: Int) {
        // The API refuses a slice of more than 1000 endpoints.
        let limit = min(1000, max(1, maxPerSlice))
        let uid = service.metadata.uid ?? ""
        let labels = EndpointSliceObjects.labels(for: service)
        var byType: [String: [Typed<EndpointSlice>]] = [:]
        for slice in existing.sorted(by: { ($0.object.metadata.name ?? "") < ($1.object.metadata.name ?? "") }) {
            let type = slice.object.addressType
            // Slices of another Service by this name (an older one) or of a family the Service no longer has go.
            if EndpointSliceObjects.ownerUID(slice.object) != uid || desired.groups[type] == nil {
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
        var kept: [Typed<EndpointSlice>] = []
        for old in delete {
            guard let index = create.lastIndex(where: { $0.addressType == old.object.addressType }),
                  EndpointSliceObjects.ownerUID(old.object) == uid else {
                kept.append(old)
                continue
            }
            let new = create.remove(at: index)
            var slice = old.object
            slice.endpoints = new.endpoints
            slice.ports = new.ports
            slice.metadata.labels = new.metadata.labels
            update.append(Update(stored: old, slice: slice))
        }
        delete = kept
    }

    private mutating func plan(type: String, groups: [String: DesiredEndpoints.Group], existing: [Typed<EndpointSlice>], service: Service,
                               labels: [String: String], limit: Int) {
        var kept: [Update] = []
        var deleted: [Typed<EndpointSlice>] = []
        var slicesByPorts: [String: [Typed<EndpointSlice>]] = [:]
        for slice in existing {
            slicesByPorts[DesiredEndpoints.portsKey(slice.object.ports ?? []), default: []].append(slice)
        }
        for (portsKey, slices) in slicesByPorts where groups[portsKey] == nil { deleted += slices }
        var created: [EndpointSlice] = []
        var updated: [Update] = []
        for portsKey in groups.keys.sorted() {
            guard let group = groups[portsKey] else { continue }
            var remaining: [String: Endpoint] = [:]
            var order: [String] = []
            for endpoint in group.endpoints {
                let key = DesiredEndpoints.endpointKey(endpoint)
                if remaining.updateValue(endpoint, forKey: key) == nil { order.append(key) }
            }
            // Existing slices first: each keeps the endpoints it has that are still wanted, in their current form.
            var candidates: [(update: Update, changed: Bool)] = []
            for slice in slicesByPorts[portsKey] ?? [] {
                let current = slice.object.endpoints
                var next: [Endpoint] = []
                for endpoint in current {
                    guard next.count < limit, let wanted = remaining.removeValue(forKey: DesiredEndpoints.endpointKey(endpoint)) else { continue }
                    next.append(wanted)
                }
                var copy = slice.object
                copy.endpoints = next
                candidates.append((Update(stored: slice, slice: copy), next != current))
            }
            // New endpoints fill slices being written anyway, then unchanged ones, then new slices.
            var pending = order.compactMap { remaining[$0] }
            for pass in [true, false] {
                for i in candidates.indices where candidates[i].changed == pass && !pending.isEmpty {
                    let room = limit - candidates[i].update.slice.endpoints.count
                    guard room > 0 else { continue }
                    candidates[i].update.slice.endpoints += pending.prefix(room)
                    pending.removeFirst(min(room, pending.count))
                    candidates[i].changed = true
                }
            }
            for candidate in candidates {
                // A slice left with nothing goes (the placeholder rule below may keep one).
                if candidate.update.slice.endpoints.isEmpty {
                    deleted.append(candidate.update.stored)
                } else if candidate.changed {
                    updated.append(candidate.update)
                } else {
                    kept.append(candidate.update)
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
            if let index = deleted.firstIndex(where: { Self.isPlaceholder($0.object) }) {
                let placeholder = deleted.remove(at: index)
                kept.append(Update(stored: placeholder, slice: placeholder.object))
            } else {
                created.append(EndpointSliceObjects.newSlice(service: service, addressType: type, ports: [], endpoints: [], labels: labels))
            }
        }
        // A Service's label change reaches every slice it keeps.
        for slice in kept where (slice.slice.metadata.labels ?? [:]) != labels { updated.append(slice) }
        for i in updated.indices { updated[i].slice.metadata.labels = labels }
        create += created
        update += updated
        delete += deleted
    }

    static let triggerTimeAnnotation = "endpoints.kubernetes.io/last-change-trigger-time"

    /// Every slice written says when the change it carries began (kube-proxy's programming latency metric), or
    /// loses a stale stamp when the sync was not caused by a pod or Service change.
    mutating func stamp(triggerTime: String?) {
        func apply(_ slice: inout EndpointSlice) {
            var annotations = slice.metadata.annotations ?? [:]
            annotations[Self.triggerTimeAnnotation] = triggerTime
            slice.metadata.annotations = annotations.isEmpty ? nil : annotations
        }
        for i in create.indices { apply(&create[i]) }
        for i in update.indices { apply(&update[i].slice) }
    }

    static func isPlaceholder(_ slice: EndpointSlice) -> Bool {
        slice.endpoints.isEmpty && (slice.ports ?? []).isEmpty
    }
}
