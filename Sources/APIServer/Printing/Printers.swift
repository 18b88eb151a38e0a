import KubeAPI
import KubeJSON

/// upstream's columns (pkg/printers/internalversion) for the kinds kubectl users look at most.
enum Printers {
    static let pods: [TableColumn] = [
        .name,
        TableColumn("Ready", description: "The aggregate readiness state of this pod for accepting traffic.") { pod, _ in
            let statuses = pod[path: ["status", "containerStatuses"]]?.array ?? []
            let total = pod[path: ["spec", "containers"]]?.array?.count ?? 0
            let ready = statuses.filter { $0["ready"]?.bool == true }.count
            return .string("\(ready)/\(total)")
        },
        TableColumn("Status", description: "The aggregate status of the containers in this pod.") { pod, _ in .string(podStatus(pod)) },
        TableColumn("Restarts", description: "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.") { pod, now in
            let statuses = pod[path: ["status", "containerStatuses"]]?.array ?? []
            let restarts = statuses.map { $0["restartCount"]?.int ?? 0 }.saturatedSum()
            let last = statuses.compactMap { $0[path: ["lastState", "terminated", "finishedAt"]]?.string }.compactMap(Timestamp.parse).max()
            if restarts > 0, let last { return .string("\(restarts) (\(HumanDuration.format(now - last)) ago)") }
            return .string(String(restarts))
        },
        .age,
        TableColumn.text("IP", priority: 1, ["status", "podIP"]).withEmpty("<none>"),
        TableColumn.text("Node", priority: 1, ["spec", "nodeName"]).withEmpty("<none>"),
        TableColumn.text("Nominated Node", priority: 1, ["status", "nominatedNodeName"]).withEmpty("<none>"),
        TableColumn("Readiness Gates", priority: 1) { pod, _ in
            let gates = pod[path: ["spec", "readinessGates"]]?.array ?? []
            return .string(gates.isEmpty ? "<none>" : "\(gates.count)")
        },
    ]

    static func podStatus(_ pod: JSONValue) -> String {
        var reason = pod[path: ["status", "reason"]]?.string ?? pod[path: ["status", "phase"]]?.string ?? ""
        let initStatuses = pod[path: ["status", "initContainerStatuses"]]?.array ?? []
        var initializing = false
        for (i, s) in initStatuses.enumerated() {
            if let t = s[path: ["state", "terminated"]], t["exitCode"]?.int == 0 { continue }
            if let t = s[path: ["state", "terminated"]] {
                reason = "Init:" + (t["reason"]?.string ?? "ExitCode:\(t["exitCode"]?.int ?? 0)")
            } else if let w = s[path: ["state", "waiting", "reason"]]?.string, w != "PodInitializing" {
                reason = "Init:" + w
            } else {
                reason = "Init:\(i)/\(pod[path: ["spec", "initContainers"]]?.array?.count ?? 0)"
            }
            initializing = true
            break
        }
        if !initializing {
            var hasRunning = false
            for s in (pod[path: ["status", "containerStatuses"]]?.array ?? []).reversed() {
                if let w = s[path: ["state", "waiting", "reason"]]?.string, !w.isEmpty {
                    reason = w
                } else if let t = s[path: ["state", "terminated"]] {
                    if let r = t["reason"]?.string, !r.isEmpty {
                        reason = r
                    } else if let sig = t["signal"]?.int, sig != 0 {
                        reason = "Signal:\(sig)"
                    } else {
                        reason = "ExitCode:\(t["exitCode"]?.int ?? 0)"
                    }
                } else if s["ready"]?.bool == true, s[path: ["state", "running"]] != nil {
                    hasRunning = true
                }
            }
            if reason == "Completed", hasRunning { reason = "Running" }
        }
        if pod.metaDeletionTimestamp != nil, pod[path: ["status", "reason"]]?.string != "NodeLost" { reason = "Terminating" }
        return reason
    }

    static let namespaces: [TableColumn] = [
        .name, .text("Status", ["status", "phase"]), .age,
    ]

    static let configMaps: [TableColumn] = [
        .name,
        TableColumn("Data", type: "integer") { o, _ in
            .int(Int64((o["data"]?.object?.count ?? 0) + (o["binaryData"]?.object?.count ?? 0)))
        },
        .age,
    ]

    static let secrets: [TableColumn] = [
        .name, .text("Type", ["type"]),
        TableColumn("Data", type: "integer") { o, _ in .int(Int64(o["data"]?.object?.count ?? 0)) },
        .age,
    ]

    static let serviceAccounts: [TableColumn] = [
        .name,
        TableColumn("Secrets", type: "integer") { o, _ in .int(Int64(o["secrets"]?.array?.count ?? 0)) },
        .age,
    ]

    static let services: [TableColumn] = [
        .name, .text("Type", ["spec", "type"]),
        TableColumn.text("Cluster-IP", ["spec", "clusterIP"]).withEmpty("<none>"),
        TableColumn("External-IP") { o, _ in
            let ips = (o[path: ["spec", "externalIPs"]]?.array ?? []).compactMap(\.string)
            if !ips.isEmpty { return .string(ips.joined(separator: ",")) }
            return .string(o[path: ["spec", "type"]]?.string == "LoadBalancer" ? "<pending>" : "<none>")
        },
        TableColumn("Port(s)") { o, _ in
            let ports = (o[path: ["spec", "ports"]]?.array ?? []).map { p -> String in
                let port = p["port"]?.int ?? 0
                let proto = p["protocol"]?.string ?? "TCP"
                if let node = p["nodePort"]?.int { return "\(port):\(node)/\(proto)" }
                return "\(port)/\(proto)"
            }
            return .string(ports.isEmpty ? "<none>" : ports.joined(separator: ","))
        },
        .age,
        TableColumn("Selector", priority: 1) { o, _ in
            let sel = o[path: ["spec", "selector"]]?.stringMap ?? [:]
            return .string(sel.isEmpty ? "<none>" : sel.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        },
    ]

    static let endpoints: [TableColumn] = [
        .name,
        TableColumn("Endpoints") { o, _ in
            var out: [String] = []
            for subset in o["subsets"]?.array ?? [] {
                let ports = (subset["ports"]?.array ?? []).compactMap { $0["port"]?.int }
                for address in subset["addresses"]?.array ?? [] {
                    let ip = address["ip"]?.string ?? ""
                    if ports.isEmpty { out.append(ip) } else { out += ports.map { "\(ip):\($0)" } }
                }
            }
            if out.count > 3 { return .string(out.prefix(3).joined(separator: ",") + " + \(out.count - 3) more...") }
            return .string(out.isEmpty ? "<none>" : out.joined(separator: ","))
        },
        .age,
    ]

    static let nodes: [TableColumn] = [
        .name,
        TableColumn("Status") { o, _ in
            let ready = (o[path: ["status", "conditions"]]?.array ?? []).first { $0["type"]?.string == "Ready" }
            var status = ready?["status"]?.string == "True" ? "Ready" : (ready == nil ? "Unknown" : "NotReady")
            if ready?["status"]?.string == "Unknown" { status = "Unknown" }
            if o[path: ["spec", "unschedulable"]]?.bool == true { status += ",SchedulingDisabled" }
            return .string(status)
        },
        TableColumn("Roles") { o, _ in
            let roles = o.metaLabels.keys.compactMap { key -> String? in
                key.hasPrefix("node-role.kubernetes.io/") ? String(key.dropFirst("node-role.kubernetes.io/".count)) : nil
            }.sorted()
            return .string(roles.isEmpty ? "<none>" : roles.joined(separator: ","))
        },
        .age,
        .text("Version", ["status", "nodeInfo", "kubeletVersion"]),
        TableColumn("Internal-IP", priority: 1) { o, _ in address(o, "InternalIP") },
        TableColumn("External-IP", priority: 1) { o, _ in address(o, "ExternalIP") },
        .text("OS-Image", priority: 1, ["status", "nodeInfo", "osImage"]),
        .text("Kernel-Version", priority: 1, ["status", "nodeInfo", "kernelVersion"]),
        .text("Container-Runtime", priority: 1, ["status", "nodeInfo", "containerRuntimeVersion"]),
    ]

    static func address(_ node: JSONValue, _ type: String) -> JSONValue {
        let a = (node[path: ["status", "addresses"]]?.array ?? []).first { $0["type"]?.string == type }
        return .string(a?["address"]?.string ?? "<none>")
    }

    static let events: [TableColumn] = [
        TableColumn("Last Seen") { o, now in
            .string(HumanDuration.since(o["lastTimestamp"]?.string ?? o["eventTime"]?.string ?? o.metaCreationTimestamp, now: now))
        },
        .text("Type", ["type"]), .text("Reason", ["reason"]),
        TableColumn("Object") { o, _ in
            let kind = (o[path: ["involvedObject", "kind"]]?.string ?? "").lowercased()
            return .string("\(kind)/\(o[path: ["involvedObject", "name"]]?.string ?? "")")
        },
        .text("Subobject", priority: 1, ["involvedObject", "fieldPath"]),
        TableColumn("Source", priority: 1) { o, _ in
            let component = o[path: ["source", "component"]]?.string ?? o["reportingComponent"]?.string ?? ""
            let host = o[path: ["source", "host"]]?.string ?? ""
            return .string(host.isEmpty ? component : "\(component), \(host)")
        },
        .text("Message", ["message"]),
        TableColumn("First Seen", priority: 1) { o, now in .string(HumanDuration.since(o["firstTimestamp"]?.string ?? o.metaCreationTimestamp, now: now)) },
        TableColumn("Count", type: "integer", priority: 1) { o, _ in .int(o["count"]?.int ?? 1) },
        TableColumn("Name", priority: 1) { o, _ in .string(o.metaName) },
    ]

    /// events.k8s.io/v1 names the same fields differently (regarding, note, reportingController).
    static let eventsV1: [TableColumn] = [
        TableColumn("Last Seen") { o, now in
            .string(HumanDuration.since(o["deprecatedLastTimestamp"]?.string ?? o["eventTime"]?.string ?? o.metaCreationTimestamp, now: now))
        },
        .text("Type", ["type"]), .text("Reason", ["reason"]),
        TableColumn("Object") { o, _ in
            .string("\((o[path: ["regarding", "kind"]]?.string ?? "").lowercased())/\(o[path: ["regarding", "name"]]?.string ?? "")")
        },
        .text("Message", ["note"]),
    ]

    static let leases: [TableColumn] = [
        .name, TableColumn.text("Holder", ["spec", "holderIdentity"]), .age,
    ]

    static let roles: [TableColumn] = [
        .name,
        TableColumn("Created At", type: "date") { o, _ in .string(o.metaCreationTimestamp ?? "") },
    ]

    static let roleBindings: [TableColumn] = [
        .name,
        TableColumn("Role") { o, _ in
            .string("\(o[path: ["roleRef", "kind"]]?.string ?? "")/\(o[path: ["roleRef", "name"]]?.string ?? "")")
        },
        .age,
        TableColumn("Users", priority: 1) { o, _ in subjects(o, "User") },
        TableColumn("Groups", priority: 1) { o, _ in subjects(o, "Group") },
        TableColumn("ServiceAccounts", priority: 1) { o, _ in
            .string((o["subjects"]?.array ?? []).filter { $0["kind"]?.string == "ServiceAccount" }
                .map { "\($0["namespace"]?.string ?? o.metaNamespace)/\($0["name"]?.string ?? "")" }.joined(separator: ", "))
        },
    ]

    static func subjects(_ o: JSONValue, _ kind: String) -> JSONValue {
        .string((o["subjects"]?.array ?? []).filter { $0["kind"]?.string == kind }.compactMap { $0["name"]?.string }.joined(separator: ", "))
    }
}

extension TableColumn {
    func withEmpty(_ placeholder: String) -> TableColumn {
        var copy = self
        let inner = cell
        copy.cell = { o, now in
            let v = inner(o, now)
            return v.string?.isEmpty == true ? .string(placeholder) : v
        }
        return copy
    }
}
