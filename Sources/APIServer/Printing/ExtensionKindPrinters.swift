import KubeJSON

/// Columns of the node, storage (CSI), flow-control, autoscaling and revision kinds, as kubectl prints upstream's.
extension Printers {
    static func flag(_ o: JSONValue, _ path: [String], default value: Bool = false) -> JSONValue { .bool(o[path: path]?.bool ?? value) }

    static let runtimeClasses: [TableColumn] = [.name, TableColumn.text("Handler", ["handler"]), .age]

    static let csiDrivers: [TableColumn] = [
        .name,
        TableColumn("AttachRequired", type: "boolean") { o, _ in flag(o, ["spec", "attachRequired"], default: true) },
        TableColumn("PodInfoOnMount", type: "boolean") { o, _ in flag(o, ["spec", "podInfoOnMount"]) },
        TableColumn("StorageCapacity", type: "boolean") { o, _ in flag(o, ["spec", "storageCapacity"]) },
        TableColumn("TokenRequests") { o, _ in
            let audiences = (o[path: ["spec", "tokenRequests"]]?.array ?? []).compactMap { $0["audience"]?.string }
            return .string(audiences.isEmpty ? "<unset>" : audiences.joined(separator: ","))
        },
        TableColumn("RequiresRepublish", type: "boolean") { o, _ in flag(o, ["spec", "requiresRepublish"]) },
        TableColumn("Modes") { o, _ in
            let modes = (o[path: ["spec", "volumeLifecycleModes"]]?.array ?? []).compactMap(\.string)
            return .string(modes.isEmpty ? "<none>" : modes.joined(separator: ","))
        },
        .age,
    ]

    static let csiNodes: [TableColumn] = [
        .name,
        TableColumn("Drivers", type: "integer") { o, _ in .int(Int64(o[path: ["spec", "drivers"]]?.array?.count ?? 0)) },
        .age,
    ]

    static let volumeAttachments: [TableColumn] = [
        .name,
        TableColumn.text("Attacher", ["spec", "attacher"]),
        TableColumn.text("PV", ["spec", "source", "persistentVolumeName"]),
        TableColumn.text("Node", ["spec", "nodeName"]),
        TableColumn("Attached", type: "boolean") { o, _ in flag(o, ["status", "attached"]) },
        .age,
    ]

    static let csiStorageCapacities: [TableColumn] = [
        .name,
        TableColumn.text("StorageClassName", ["storageClassName"]),
        TableColumn("Capacity") { o, _ in .string(o["capacity"]?.string ?? o["capacity"]?.int.map(String.init) ?? "") },
    ]

    static let flowSchemas: [TableColumn] = [
        .name,
        TableColumn.text("PriorityLevel", ["spec", "priorityLevelConfiguration", "name"]),
        TableColumn("MatchingPrecedence", type: "integer") { o, _ in .int(o[path: ["spec", "matchingPrecedence"]]?.int ?? 1000) },
        TableColumn("DistinguisherMethod") { o, _ in .string(o[path: ["spec", "distinguisherMethod", "type"]]?.string ?? "<none>") },
        .age,
        TableColumn("MissingPL") { o, _ in
            let condition = (o[path: ["status", "conditions"]]?.array ?? []).first { $0["type"] == "Dangling" }
            return .string(condition?["status"]?.string ?? "?")
        },
    ]

    static let priorityLevelConfigurations: [TableColumn] = [
        .name,
        TableColumn.text("Type", ["spec", "type"]),
        TableColumn("NominalConcurrencyShares") { o, _ in
            .string(o[path: ["spec", "limited", "nominalConcurrencyShares"]]?.int.map(String.init) ?? "<none>")
        },
        TableColumn("Queues") { o, _ in .string(o[path: ["spec", "limited", "limitResponse", "queuing", "queues"]]?.int.map(String.init) ?? "<none>") },
        TableColumn("HandSize") { o, _ in .string(o[path: ["spec", "limited", "limitResponse", "queuing", "handSize"]]?.int.map(String.init) ?? "<none>") },
        TableColumn("QueueLengthLimit") { o, _ in
            .string(o[path: ["spec", "limited", "limitResponse", "queuing", "queueLengthLimit"]]?.int.map(String.init) ?? "<none>")
        },
        .age,
    ]

    static let controllerRevisions: [TableColumn] = [
        .name,
        TableColumn("Controller") { o, _ in
            guard let owner = (o[path: ["metadata", "ownerReferences"]]?.array ?? []).first(where: { $0["controller"]?.bool == true }) else {
                return .string("<none>")
            }
            let apiVersion = owner["apiVersion"]?.string ?? ""
            let group = apiVersion.contains("/") ? String(apiVersion.prefix { $0 != "/" }) : ""
            let kind = (owner["kind"]?.string ?? "").lowercased()
            return .string("\(group.isEmpty ? kind : "\(kind).\(group)")/\(owner["name"]?.string ?? "")")
        },
        TableColumn("Revision", type: "integer") { o, _ in .int(o["revision"]?.int ?? 0) },
        .age,
    ]

    static let horizontalPodAutoscalers: [TableColumn] = [
        .name,
        TableColumn("Reference") { o, _ in
            .string("\(o[path: ["spec", "scaleTargetRef", "kind"]]?.string ?? "")/\(o[path: ["spec", "scaleTargetRef", "name"]]?.string ?? "")")
        },
        TableColumn("Targets") { o, _ in .string(hpaTargets(o)) },
        TableColumn("MinPods") { o, _ in .string(String(o[path: ["spec", "minReplicas"]]?.int ?? 1)) },
        TableColumn("MaxPods", type: "integer") { o, _ in .int(o[path: ["spec", "maxReplicas"]]?.int ?? 0) },
        TableColumn("Replicas", type: "integer") { o, _ in .int(o[path: ["status", "currentReplicas"]]?.int ?? 0) },
        .age,
    ]

    /// `cpu: <unknown>/80%` per resource metric, as kubectl prints an autoscaling/v2 HPA without current metrics.
    static func hpaTargets(_ o: JSONValue) -> String {
        let metrics = o[path: ["spec", "metrics"]]?.array ?? []
        if metrics.isEmpty { return "<none>" }
        let current = o[path: ["status", "currentMetrics"]]?.array ?? []
        let parts = metrics.map { metric -> String in
            guard metric["type"] == "Resource", let resource = metric[path: ["resource", "name"]]?.string else {
                return "<unknown>/<unknown>"
            }
            let target = metric[path: ["resource", "target"]]
            let seen = current.first { $0[path: ["resource", "name"]]?.string == resource }
            if let utilization = target?["averageUtilization"]?.int {
                let now = seen?[path: ["resource", "current", "averageUtilization"]]?.int.map { "\($0)%" } ?? "<unknown>"
                return "\(resource): \(now)/\(utilization)%"
            }
            let value = target?["averageValue"]?.string ?? target?["value"]?.string ?? "<unknown>"
            let now = seen?[path: ["resource", "current", "averageValue"]]?.string ?? "<unknown>"
            return "\(resource): \(now)/\(value)"
        }
        return parts.joined(separator: ", ")
    }

    static let componentStatuses: [TableColumn] = [
        .name,
        TableColumn("Status") { o, _ in
            let healthy = (o["conditions"]?.array ?? []).first { $0["type"] == "Healthy" }
            return .string(healthy?["status"] == "True" ? "Healthy" : "Unhealthy")
        },
        TableColumn("Message") { o, _ in .string((o["conditions"]?.array ?? []).first?["message"]?.string ?? "") },
        TableColumn("Error") { o, _ in .string((o["conditions"]?.array ?? []).first?["error"]?.string ?? "") },
    ]
}
