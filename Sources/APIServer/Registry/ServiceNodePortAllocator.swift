import KubeAPI
import KubeJSON

/// A range of node ports, `--service-node-port-range` (`30000-32767`, or `base+size` as upstream's PortRange).
public struct PortRange: Sendable, Equatable, CustomStringConvertible {
    public let base: Int
    /// The number of ports from `base` on.
    public let size: Int

    public static let defaultNodePorts = PortRange(base: 30000, size: 2768)

    init(base: Int, size: Int) {
        self.base = base
        self.size = size
    }

    /// nil when `text` is not `low-high` or `base+size` within 1–65535 (upstream's PortRange.Set).
    public init?(_ text: String) {
        let trimmed = text.trimmingCharacters()
        if let plus = trimmed.firstIndex(of: "+") {
            guard let b = Int(trimmed[..<plus]), let n = Int(trimmed[trimmed.index(after: plus)...]), n >= 0 else { return nil }
            (base, size) = (b, n + 1)
        } else {
            let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
            guard parts.count == 1 || parts.count == 2, let low = Int(parts[0]) else { return nil }
            let high = parts.count == 2 ? Int(parts[1]) : low
            guard let high, high >= low else { return nil }
            (base, size) = (low, high - low + 1)
        }
        guard base >= 1, base <= 65535, size >= 1, base + size - 1 <= 65535 else { return nil }
    }

    public func contains(_ port: Int) -> Bool { port >= base && port < base + size }
    public var description: String { "\(base)-\(base + size - 1)" }
}

/// Allocates Service node ports from `--service-node-port-range` as upstream's Service REST does: NodePort and
/// LoadBalancer Services (the latter unless `allocateLoadBalancerNodePorts: false`) get one per port, ports with
/// the same number share one, a requested one must be in range and free; an update keeps the ones it still has and
/// frees the rest, a delete frees them all.
actor ServiceNodePortAllocator: AdmissionPlugin {
    nonisolated var name: String { "ServiceNodePortAllocator" }
    let range: PortRange
    private var used: Set<Int> = []

    init(range: PortRange) { self.range = range }

    func load(_ services: [JSONValue]) {
        for service in services { used.formUnion(Self.nodePorts(service)) }
    }

    static func nodePorts(_ service: JSONValue) -> Set<Int> {
        Set((service[path: ["spec", "ports"]]?.array ?? []).compactMap { $0["nodePort"]?.int }.filter { $0 > 0 && $0 <= 65535 }.map { Int($0) })
    }

    /// Every node port a Service names, as written (an older binary may have stored one no range has).
    static func requestedNodePorts(_ service: JSONValue) -> Set<Int64> {
        Set((service[path: ["spec", "ports"]]?.array ?? []).compactMap { $0["nodePort"]?.int }.filter { $0 != 0 })
    }

    /// upstream's shouldAllocateNodePorts.
    static func allocates(_ service: JSONValue) -> Bool {
        switch service[path: ["spec", "type"]]?.string ?? "ClusterIP" {
        case "NodePort": return true
        case "LoadBalancer": return service[path: ["spec", "allocateLoadBalancerNodePorts"]]?.bool ?? true
        default: return false
        }
    }

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard resource.group.isEmpty, resource.resource == "services" else { return }
        switch operation {
        case .create:
            try assign(&object, keeping: [], had: [], context: context)
        case .update:
            try assign(&object, keeping: old.map(Self.nodePorts) ?? [], had: old.map(Self.requestedNodePorts) ?? [], context: context)
        case .delete:
            if !context.dryRun { used.subtract(Self.nodePorts(object)) }
        }
    }

    /// Gives each port that needs one a node port; `keeping` are the Service's own already (an update), `had` every
    /// value it had, which an update may keep as upstream does (its range is not checked again).
    private func assign(_ service: inout JSONValue, keeping: Set<Int>, had: Set<Int64>, context: RequestContext) throws {
        let type = service[path: ["spec", "type"]]?.string ?? "ClusterIP"
        var taken = used
        var mine: Set<Int> = []
        if ["NodePort", "LoadBalancer"].contains(type), var ports = service[path: ["spec", "ports"]]?.array {
            let allocates = Self.allocates(service)
            var byServicePort: [Int64: Int] = [:]
            for i in ports.indices {
                let requested = ports[i]["nodePort"]?.int ?? 0
                if requested == 0 && !allocates { continue }
                let servicePort = ports[i]["port"]?.int ?? 0
                if requested == 0, let shared = byServicePort[servicePort] {
                    ports[i]["nodePort"] = .int(Int64(shared))
                    continue
                }
                let port: Int
                if requested != 0, had.contains(requested), !keeping.contains(Int(clamping: requested)) {
                    // A value no socket can have, kept from the stored object: validation has the last word.
                    continue
                }
                if requested != 0 {
                    port = Int(clamping: requested)
                    if !keeping.contains(port) && !mine.contains(port) {
                        guard range.contains(port) else {
                            throw invalid(service, i, requested, "provided port is not in the valid range. The range of valid ports is \(range)")
                        }
                        guard !taken.contains(port) else { throw invalid(service, i, requested, "provided port is already allocated") }
                    }
                } else {
                    guard let next = next(avoiding: taken) else {
                        throw StatusError.internalError("failed to allocate a nodePort: range is full")
                    }
                    port = next
                    ports[i]["nodePort"] = .int(Int64(port))
                }
                taken.insert(port)
                mine.insert(port)
                if byServicePort[servicePort] == nil { byServicePort[servicePort] = port }
            }
            service[path: ["spec", "ports"]] = .array(ports)
        }
        guard !context.dryRun else { return }
        used.subtract(keeping.subtracting(mine))
        used.formUnion(mine)
    }

    private func invalid(_ service: JSONValue, _ index: Int, _ port: Int64, _ detail: String) -> StatusError {
        StatusError.invalid(kind: "Service", group: "", name: service.metaName, [
            .invalid("spec.ports[\(index)].nodePort", number: port, detail)])
    }

    /// A free port from a random place in the range on (upstream picks at random too).
    private func next(avoiding taken: Set<Int>) -> Int? {
        let start = Int.random(in: 0..<range.size)
        for offset in 0..<range.size {
            let port = range.base + (start + offset) % range.size
            if !taken.contains(port) { return port }
        }
        return nil
    }
}
