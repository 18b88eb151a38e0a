import ControllerRuntime
import KubeJSON

/// Upstream's zone states (handleDisruption): when every node of every zone is not Ready, the control plane is more
/// likely cut off than the nodes dead, so NoExecute taints are taken off every node and none are added ("master
/// disruption mode"); in a small cluster (up to 50 nodes) a zone with more than two and at least 55 % of its nodes
/// not Ready gets no new NoExecute taints (upstream's eviction rate drops to zero there).
enum ZoneState: Sendable, Equatable {
    case normal
    case partialDisruption
    case fullDisruption
}

/// What the NoExecute taints of a node may do, from the zone states.
enum NoExecutePolicy: Sendable, Equatable {
    /// Added and removed as the Ready condition says.
    case normal
    /// Kept, swapped or removed, but not newly added.
    case noNewTaints
    /// Removed from every node (markAllNodesAsReachable).
    case removeAll
}

struct ZoneDisruption: Sendable {
    static let unhealthyZoneThreshold = 0.55
    static let largeClusterThreshold = 50
    static let excludeLabel = "node.kubernetes.io/exclude-disruption"

    var states: [String: ZoneState] = [:]
    var allDisrupted = false
    var nodeCount = 0
    /// Each node's Ready status as the last pass left it: NoExecute taints follow this, not the live condition,
    /// so that a node this pass marks Unknown is tainted only once the zone states account for it (upstream taints
    /// from the observed condition, one pass later, for the same reason).
    var readyStatus: [String: String?] = [:]

    /// utilnode.GetZoneKey: region and zone, topology labels first, the deprecated beta ones as fallback.
    static func zoneKey(_ node: JSONValue) -> String {
        let labels = Lifecycle.labels(node)
        let region = labels["topology.kubernetes.io/region"] ?? labels["failure-domain.beta.kubernetes.io/region"] ?? ""
        let zone = labels["topology.kubernetes.io/zone"] ?? labels["failure-domain.beta.kubernetes.io/zone"] ?? ""
        return region.isEmpty && zone.isEmpty ? "" : region + ":\u{0}:" + zone
    }

    /// ComputeZoneState over the Ready statuses of a zone's nodes (a node without one counts as not Ready).
    static func state(readyStatuses: [String?]) -> ZoneState {
        let ready = readyStatuses.filter { $0 == "True" }.count
        let notReady = readyStatuses.count - ready
        if ready == 0 && notReady > 0 { return .fullDisruption }
        if notReady > 2 && Double(notReady) / Double(max(1, notReady + ready)) >= unhealthyZoneThreshold { return .partialDisruption }
        return .normal
    }

    /// The states of all zones from each node's current Ready status; nodes labelled to be excluded do not count.
    static func compute(nodes: [JSONValue], readyStatus: (JSONValue) -> String?) -> ZoneDisruption {
        var byZone: [String: [String?]] = [:]
        var result = ZoneDisruption()
        for node in nodes {
            let status = readyStatus(node)
            result.readyStatus[Lifecycle.name(node)] = .some(status)
            if Lifecycle.labels(node)[excludeLabel] == nil { byZone[zoneKey(node), default: []].append(status) }
        }
        result.nodeCount = nodes.count
        for (zone, statuses) in byZone { result.states[zone] = state(readyStatuses: statuses) }
        result.allDisrupted = !result.states.isEmpty && result.states.values.allSatisfy { $0 == .fullDisruption }
        return result
    }

    /// --node-eviction-rate and --secondary-node-eviction-rate at upstream's defaults (nodes a second per zone).
    static let evictionRate = 0.1
    static let secondaryEvictionRate = 0.01

    /// Seconds between two nodes of a zone getting new NoExecute taints: the secondary rate for a partially
    /// disrupted zone of a large cluster (a small one gets none at all, see `policy`).
    func taintInterval(for node: JSONValue) -> Double {
        states[Self.zoneKey(node)] == .partialDisruption ? 1 / Self.secondaryEvictionRate : 1 / Self.evictionRate
    }

    func policy(for node: JSONValue) -> NoExecutePolicy {
        if allDisrupted { return .removeAll }
        if states[Self.zoneKey(node)] == .partialDisruption && nodeCount <= Self.largeClusterThreshold { return .noNewTaints }
        return .normal
    }
}
