import KubeAPI
import KubeJSON

/// A pod as the plugins read it, parsed once when the pod enters the queue or the cache (upstream's PodInfo), so
/// that a scheduling cycle over many nodes does not walk the pod's JSON again for every node.
public struct PodInfo: Sendable {
    public var object: JSONValue
    public var key: String
    public var namespace: String
    public var name: String
    public var uid: String
    public var nodeName: String
    public var schedulerName: String
    /// spec.priority (an int32, which the apiserver's Priority admission fills from the PriorityClass).
    public var priority: Int64
    /// spec.preemptionPolicy: `Never` keeps the pod from preempting others.
    public var preemptionPolicy: String
    /// status.nominatedNodeName: where a preemption made room for it.
    public var nominatedNodeName: String
    /// status.startTime; nil before the kubelet started it (preemption then treats it as started now).
    public var startTime: String?
    /// Requests as NodeResourcesFit counts them (the larger of the containers' sum and each init container).
    public var requests: Resources
    /// Requests with upstream's defaults for containers that ask for nothing (100m cpu, 200Mi memory), which
    /// the scoring plugins use so that request-less pods still spread.
    public var nonZeroRequests: Resources
    public var hostPorts: [HostPort]
    public var tolerations: [Toleration]
    public var nodeSelector: [String: String]
    public var requiredNodeAffinity: NodeSelector?
    public var preferredNodeAffinity: [(weight: Int64, term: NodeSelectorTerm)]
    public var claimNames: [String]
    /// Required inter-pod affinity and anti-affinity.
    public var requiredAffinity: [AffinityTerm]
    public var requiredAntiAffinity: [AffinityTerm]
    /// Preferred inter-pod affinity and anti-affinity with their weights (InterPodAffinity's score).
    public var preferredAffinity: [(weight: Int64, term: AffinityTerm)]
    public var preferredAntiAffinity: [(weight: Int64, term: AffinityTerm)]
    public var labels: [String: String]

    public init(_ pod: JSONValue) {
        object = pod
        namespace = pod.metaNamespace
        name = pod.metaName
        key = namespace.isEmpty ? name : namespace + "/" + name
        uid = pod.metaUID
        nodeName = pod[path: ["spec", "nodeName"]]?.string ?? ""
        schedulerName = pod[path: ["spec", "schedulerName"]]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? defaultSchedulerName
        priority = Int64(pod.goInt32(["spec", "priority"]) ?? 0)
        preemptionPolicy = pod[path: ["spec", "preemptionPolicy"]]?.string ?? ""
        nominatedNodeName = pod[path: ["status", "nominatedNodeName"]]?.string ?? ""
        startTime = pod[path: ["status", "startTime"]]?.string
        labels = pod.metaLabels
        let computed = Self.computeRequests(pod)
        requests = computed.0
        nonZeroRequests = computed.1
        hostPorts = Self.computeHostPorts(pod)
        tolerations = (pod[path: ["spec", "tolerations"]]?.array ?? []).map(Toleration.init)
        nodeSelector = pod[path: ["spec", "nodeSelector"]]?.stringMap ?? [:]
        let affinity = pod[path: ["spec", "affinity", "nodeAffinity"]]
        requiredNodeAffinity = affinity?[path: ["requiredDuringSchedulingIgnoredDuringExecution"]].map(NodeSelector.init)
        preferredNodeAffinity = (affinity?["preferredDuringSchedulingIgnoredDuringExecution"]?.array ?? []).compactMap { p in
            guard let preference = p["preference"] else { return nil }
            return (weight: p["weight"]?.int ?? 0, term: NodeSelectorTerm(preference))
        }
        let podAffinity = pod[path: ["spec", "affinity"]]
        requiredAffinity = (podAffinity?[path: ["podAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]]?.array ?? [])
            .map { AffinityTerm($0, podNamespace: pod.metaNamespace) }
        requiredAntiAffinity = (podAffinity?[path: ["podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution"]]?.array ?? [])
            .map { AffinityTerm($0, podNamespace: pod.metaNamespace) }
        func weighted(_ path: [String]) -> [(weight: Int64, term: AffinityTerm)] {
            (podAffinity?[path: path]?.array ?? []).compactMap { entry in
                guard let term = entry["podAffinityTerm"] else { return nil }
                return (weight: Int64(entry.goInt32(["weight"]) ?? 0), term: AffinityTerm(term, podNamespace: pod.metaNamespace))
            }
        }
        preferredAffinity = weighted(["podAffinity", "preferredDuringSchedulingIgnoredDuringExecution"])
        preferredAntiAffinity = weighted(["podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution"])
        claimNames = (pod[path: ["spec", "volumes"]]?.array ?? []).compactMap { $0[path: ["persistentVolumeClaim", "claimName"]]?.string }
    }

    public var phase: String { object[path: ["status", "phase"]]?.string ?? "" }
    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }
    public var isBeingDeleted: Bool { object.metaDeletionTimestamp != nil }
    /// Terms that make this placed pod count in InterPodAffinity's score for every incoming pod (upstream's
    /// PodsWithAffinity, less required anti-affinity, which only filters).
    var hasScoredAffinity: Bool { !requiredAffinity.isEmpty || !preferredAffinity.isEmpty || !preferredAntiAffinity.isEmpty }

    static let defaultMilliCPU: Int64 = 100
    static let defaultMemory: Int64 = 200 * 1024 * 1024

    static func computeRequests(_ pod: JSONValue) -> (Resources, Resources) {
        func container(_ c: JSONValue) -> (Resources, Resources) {
            let cpu = Resources.millis(c[path: ["resources", "requests", "cpu"]])
            let memory = Resources.units(c[path: ["resources", "requests", "memory"]])
            let exact = Resources(milliCPU: max(cpu ?? 0, 0), memory: max(memory ?? 0, 0))
            let nonZero = Resources(milliCPU: cpu.map { max($0, 0) } ?? defaultMilliCPU, memory: memory.map { max($0, 0) } ?? defaultMemory)
            return (exact, nonZero)
        }
        var sum = Resources(), nonZeroSum = Resources()
        for c in pod[path: ["spec", "containers"]]?.array ?? [] {
            let (r, n) = container(c)
            sum = sum + r
            nonZeroSum = nonZeroSum + n
        }
        // Init containers run one at a time before the others, so the pod needs the largest of them at least.
        for c in pod[path: ["spec", "initContainers"]]?.array ?? [] {
            let (r, n) = container(c)
            sum.milliCPU = max(sum.milliCPU, r.milliCPU)
            sum.memory = max(sum.memory, r.memory)
            nonZeroSum.milliCPU = max(nonZeroSum.milliCPU, n.milliCPU)
            nonZeroSum.memory = max(nonZeroSum.memory, n.memory)
        }
        // The pod's overhead (RuntimeClass) is paid on top of what the containers ask.
        let overhead = Resources(milliCPU: max(Resources.millis(pod[path: ["spec", "overhead", "cpu"]]) ?? 0, 0),
                                 memory: max(Resources.units(pod[path: ["spec", "overhead", "memory"]]) ?? 0, 0))
        sum = sum + overhead
        nonZeroSum = nonZeroSum + overhead
        sum.pods = 1
        nonZeroSum.pods = 1
        return (sum, nonZeroSum)
    }

    static func computeHostPorts(_ pod: JSONValue) -> [HostPort] {
        var ports: [HostPort] = []
        for list in ["containers", "initContainers"] {
            for c in pod[path: ["spec", list]]?.array ?? [] {
                // Only restartable (sidecar) init containers keep their ports while the pod runs.
                if list == "initContainers", c["restartPolicy"]?.string != "Always" { continue }
                for p in c["ports"]?.array ?? [] {
                    guard let port = p["hostPort"]?.int, port > 0 else { continue }
                    ports.append(HostPort(ip: p["hostIP"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? "0.0.0.0",
                                          proto: p["protocol"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? "TCP", port: port))
                }
            }
        }
        return ports
    }
}

public let defaultSchedulerName = "default-scheduler"

/// A host port a pod asks for: two pods conflict on the same port and protocol when either binds every address.
public struct HostPort: Sendable, Hashable {
    public var ip: String
    public var proto: String
    public var port: Int64

    func conflicts(with other: HostPort) -> Bool {
        guard port == other.port, proto == other.proto else { return false }
        return ip == other.ip || ip == "0.0.0.0" || other.ip == "0.0.0.0"
    }
}

/// A pod toleration (core/v1 Toleration).
public struct Toleration: Sendable {
    public var key: String
    public var op: String
    public var value: String
    public var effect: String

    init(_ json: JSONValue) {
        key = json["key"]?.string ?? ""
        op = json["operator"]?.string.flatMap { $0.isEmpty ? nil : $0 } ?? "Equal"
        value = json["value"]?.string ?? ""
        effect = json["effect"]?.string ?? ""
    }

    /// upstream's Toleration.ToleratesTaint.
    func tolerates(_ taint: Taint) -> Bool {
        guard effect.isEmpty || effect == taint.effect else { return false }
        if key.isEmpty { return op == "Exists" }
        guard key == taint.key else { return false }
        switch op {
        case "Exists": return true
        case "Equal": return value == taint.value
        default: return false
        }
    }
}

/// A node taint (core/v1 Taint).
public struct Taint: Sendable, Equatable {
    public var key: String
    public var value: String
    public var effect: String

    init(key: String, value: String, effect: String) {
        self.key = key
        self.value = value
        self.effect = effect
    }

    init(_ json: JSONValue) {
        key = json["key"]?.string ?? ""
        value = json["value"]?.string ?? ""
        effect = json["effect"]?.string ?? ""
    }
}

/// A required pod (anti-)affinity term: pods matching the selector, in the listed namespaces (the pod's own when
/// none are listed; all for an empty namespaceSelector), counted per value of `topologyKey` on their nodes.
public struct AffinityTerm: Sendable {
    var selector: Labels.Selector
    var namespaces: Set<String>
    var allNamespaces: Bool
    public var topologyKey: String

    init(_ json: JSONValue, podNamespace: String) {
        selector = Labels.Selector(podSelector: json["labelSelector"])
        namespaces = Set(json["namespaces"]?.array?.compactMap(\.string) ?? [])
        // A namespaceSelector needs namespace labels, which this scheduler does not watch: only `{}` (every
        // namespace) is understood; a non-empty one adds nothing to the listed namespaces.
        allNamespaces = json["namespaceSelector"]?.object?.isEmpty == true
        if namespaces.isEmpty, json["namespaceSelector"] == nil || json["namespaceSelector"] == .null { namespaces = [podNamespace] }
        topologyKey = json["topologyKey"]?.string ?? ""
    }

    func matches(_ pod: PodInfo) -> Bool {
        (allNamespaces || namespaces.contains(pod.namespace)) && selector.matches(pod.labels)
    }
}

extension Labels.Selector {
    /// A meta/v1 LabelSelector in a pod's affinity term or spread constraint, a budget or a default spreading
    /// selector, as KubeAPI reads it. It selects nothing (`.nothing`) when missing (upstream's nil selector), when an
    /// operator is one upstream cannot build a selector from, or when it does not decode (the apiserver's schema
    /// refuses those; nothing can be read as selected by it).
    init(podSelector json: JSONValue?) {
        guard let json, json != .null, let typed = try? LabelSelector(json: json), let selector = typed.asSelector() else {
            self = .nothing
            return
        }
        self = selector
    }
}
