import KubeAPI
import KubeJSON
import KubeStorage

/// upstream's LimitRanger admission plugin. Mutating: a new pod's containers get the namespace's LimitRange
/// `defaultRequest`/`default` for the resources they do not state, recorded in the `kubernetes.io/limit-ranger`
/// annotation. Validating: containers, pods and claims must keep within `min`, `max` and `maxLimitRequestRatio`.
struct LimitRangerAdmission: AdmissionPlugin {
    let storage: any StorageBackend
    var phase: AdmissionPhase = .mutating
    var name: String { "LimitRanger" }

    static let annotation = "kubernetes.io/limit-ranger"

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .create, resource.group.isEmpty, !namespace.isEmpty,
              resource.resource == "pods" || resource.resource == "persistentvolumeclaims" else { return }
        let items = try await storage.range(prefix: "/registry/limitranges/\(namespace)/", startAfter: nil, limit: 0).kvs
            .compactMap { try? JSONParser.parse($0.value) }
            .flatMap { $0[path: ["spec", "limits"]]?.array ?? [] }
        guard !items.isEmpty else { return }
        if phase == .mutating {
            if resource.resource == "pods" { Self.applyDefaults(items, to: &object) }
            return
        }
        let errors = resource.resource == "pods" ? Self.validatePod(items, object) : Self.validateClaim(items, object)
        guard !errors.isEmpty else { return }
        let message = errors.count == 1 ? errors[0] : "[" + errors.joined(separator: ", ") + "]"
        throw StatusError.forbidden("\(resource.groupResource) \"\(object.metaName)\" is forbidden: \(message)",
                                    resource: resource.groupResource, name: object.metaName)
    }

    // MARK: defaults

    static func applyDefaults(_ items: [JSONValue], to pod: inout JSONValue) {
        var limits: [String: JSONValue] = [:], requests: [String: JSONValue] = [:]
        for item in items where item["type"]?.string == "Container" {
            for (k, v) in item["default"]?.object ?? [:] { limits[k] = v }
            for (k, v) in item["defaultRequest"]?.object ?? [:] { requests[k] = v }
        }
        guard !limits.isEmpty || !requests.isEmpty else { return }
        var notes: [String] = []
        for (field, label) in [("containers", "container"), ("initContainers", "init container")] {
            guard var containers = pod[path: ["spec", field]]?.array else { continue }
            for i in containers.indices {
                var setLimits: [String] = [], setRequests: [String] = []
                var own = containers[i]["resources"]?.object ?? [:]
                var ownLimits = own["limits"]?.object ?? [:], ownRequests = own["requests"]?.object ?? [:]
                for (k, v) in limits where ownLimits[k] == nil { ownLimits[k] = v; setLimits.append(k) }
                for (k, v) in requests where ownRequests[k] == nil { ownRequests[k] = v; setRequests.append(k) }
                if !ownLimits.isEmpty { own["limits"] = .object(ownLimits) }
                if !ownRequests.isEmpty { own["requests"] = .object(ownRequests) }
                containers[i]["resources"] = .object(own)
                let name = containers[i]["name"]?.string ?? ""
                if !setRequests.isEmpty { notes.append(setRequests.sorted().joined(separator: ", ") + " request for \(label) \(name)") }
                if !setLimits.isEmpty { notes.append(setLimits.sorted().joined(separator: ", ") + " limit for \(label) \(name)") }
            }
            pod[path: ["spec", field]] = .array(containers)
        }
        if !notes.isEmpty {
            pod[path: ["metadata", "annotations", annotation]] = .string("LimitRanger plugin set: " + notes.joined(separator: "; "))
        }
    }

    // MARK: validation

    typealias Amounts = [String: QuotaQuantity]

    static func amounts(_ json: JSONValue?) -> Amounts {
        (json?.object ?? [:]).compactMapValues { $0.string.flatMap(QuotaQuantity.init) ?? $0.int.map { QuotaQuantity(String($0)) } ?? nil }
    }

    static func validatePod(_ items: [JSONValue], _ pod: JSONValue) -> [String] {
        var errors: [String] = []
        let containers = (pod[path: ["spec", "containers"]]?.array ?? [])
        let initContainers = (pod[path: ["spec", "initContainers"]]?.array ?? [])
        for item in items {
            switch item["type"]?.string {
            case "Container":
                for container in containers + initContainers {
                    errors += check(item, kind: "Container", requests: amounts(container[path: ["resources", "requests"]]),
                                    limits: amounts(container[path: ["resources", "limits"]]))
                }
            case "Pod":
                // The pod's sums: its containers together, or an init container's if larger (upstream's podRequests).
                var requests: Amounts = [:], limits: Amounts = [:]
                for container in containers {
                    for (k, v) in amounts(container[path: ["resources", "requests"]]) { requests[k] = (requests[k] ?? .zero) + v }
                    for (k, v) in amounts(container[path: ["resources", "limits"]]) { limits[k] = (limits[k] ?? .zero) + v }
                }
                for container in initContainers {
                    for (k, v) in amounts(container[path: ["resources", "requests"]]) { requests[k] = .max(requests[k] ?? .zero, v) }
                    for (k, v) in amounts(container[path: ["resources", "limits"]]) { limits[k] = .max(limits[k] ?? .zero, v) }
                }
                errors += check(item, kind: "Pod", requests: requests, limits: limits)
            default: break
            }
        }
        return errors
    }

    static func check(_ item: JSONValue, kind: String, requests: Amounts, limits: Amounts) -> [String] {
        var errors: [String] = []
        for (name, enforced) in amounts(item["min"]).sorted(by: { $0.key < $1.key }) {
            if let request = requests[name] {
                if request < enforced {
                    errors.append("minimum \(name) usage per \(kind) is \(enforced.text), but request is \(request.text)")
                } else if let limit = limits[name], limit < enforced {
                    errors.append("minimum \(name) usage per \(kind) is \(enforced.text), but limit is \(limit.text)")
                }
            } else {
                errors.append("minimum \(name) usage per \(kind) is \(enforced.text).  No request is specified")
            }
        }
        for (name, enforced) in amounts(item["max"]).sorted(by: { $0.key < $1.key }) {
            if let limit = limits[name] {
                if limit > enforced {
                    errors.append("maximum \(name) usage per \(kind) is \(enforced.text), but limit is \(limit.text)")
                } else if let request = requests[name], request > enforced {
                    errors.append("maximum \(name) usage per \(kind) is \(enforced.text), but request is \(request.text)")
                }
            } else {
                errors.append("maximum \(name) usage per \(kind) is \(enforced.text).  No limit is specified")
            }
        }
        for (name, enforced) in amounts(item["maxLimitRequestRatio"]).sorted(by: { $0.key < $1.key }) {
            guard let request = requests[name], !request.isZero else {
                errors.append("\(name) max limit to request ratio per \(kind) is \(enforced.text), but no request is specified or request is 0")
                continue
            }
            guard let limit = limits[name], !limit.isZero else {
                errors.append("\(name) max limit to request ratio per \(kind) is \(enforced.text), but no limit is specified or limit is 0")
                continue
            }
            let ratio = Double(limit.millis) / Double(request.millis)
            if ratio * 1000 > Double(enforced.millis) {
                errors.append("\(name) max limit to request ratio per \(kind) is \(enforced.text), but provided ratio is \(sixDecimals(ratio))")
            }
        }
        return errors
    }

    static func validateClaim(_ items: [JSONValue], _ claim: JSONValue) -> [String] {
        guard let requested = amounts(claim[path: ["spec", "resources", "requests"]])["storage"] else { return [] }
        var errors: [String] = []
        for item in items where item["type"]?.string == "PersistentVolumeClaim" {
            if let min = amounts(item["min"])["storage"], requested < min {
                errors.append("minimum storage usage per PersistentVolumeClaim is \(min.text), but request is \(requested.text)")
            }
            if let max = amounts(item["max"])["storage"], requested > max {
                errors.append("maximum storage usage per PersistentVolumeClaim is \(max.text), but request is \(requested.text)")
            }
        }
        return errors
    }

    /// Go's `%f`.
    static func sixDecimals(_ value: Double) -> String {
        guard value.isFinite, value < 1e15 else { return String(value) }
        let scaled = (value * 1_000_000).rounded()
        let whole = Int64(scaled) / 1_000_000, fraction = Int64(scaled) % 1_000_000
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 6 - digits.count) + digits
    }
}
