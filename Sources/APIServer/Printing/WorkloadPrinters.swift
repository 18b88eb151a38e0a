import KubeJSON

/// upstream's columns for apps/v1 and batch/v1 (`kubectl get deploy,rs,sts,ds,job,cronjob`).
extension Printers {
    static func count(_ o: JSONValue, _ path: [String]) -> Int64 { o[path: path]?.int ?? 0 }

    /// CONTAINERS, IMAGES and SELECTOR, the `-o wide` columns every workload has.
    static func templateColumns(_ template: [String], selector: Bool = true) -> [TableColumn] {
        var columns = [
            TableColumn("Containers", priority: 1, description: "Names of each container in the template.") { o, _ in
                .string((o[path: template + ["spec", "containers"]]?.array ?? []).compactMap { $0["name"]?.string }.joined(separator: ","))
            },
            TableColumn("Images", priority: 1, description: "Images referenced by each container in the template.") { o, _ in
                .string((o[path: template + ["spec", "containers"]]?.array ?? []).compactMap { $0["image"]?.string }.joined(separator: ","))
            },
        ]
        if selector {
            columns.append(TableColumn("Selector", priority: 1, description: "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.") { o, _ in
                .string(WorkloadSelector.format(o[path: ["spec", "selector"]]))
            })
        }
        return columns
    }

    static let deployments: [TableColumn] = [
        .name,
        TableColumn("Ready", description: "Number of the pod with ready state") { o, _ in
            .string("\(count(o, ["status", "readyReplicas"]))/\(count(o, ["spec", "replicas"]))")
        },
        TableColumn("Up-to-date", type: "integer", description: "Total number of non-terminated pods targeted by this deployment that have the desired template spec.") { o, _ in
            .int(count(o, ["status", "updatedReplicas"]))
        },
        TableColumn("Available", type: "integer", description: "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.") { o, _ in
            .int(count(o, ["status", "availableReplicas"]))
        },
        .age,
    ] + templateColumns(["spec", "template"])

    static let replicaSets: [TableColumn] = [
        .name,
        TableColumn("Desired", type: "integer", description: "Replicas is the number of desired replicas.") { o, _ in .int(count(o, ["spec", "replicas"])) },
        TableColumn("Current", type: "integer", description: "Replicas is the most recently observed number of replicas.") { o, _ in .int(count(o, ["status", "replicas"])) },
        TableColumn("Ready", type: "integer", description: "The number of ready replicas for this replica set.") { o, _ in .int(count(o, ["status", "readyReplicas"])) },
        .age,
    ] + templateColumns(["spec", "template"])

    static let replicationControllers: [TableColumn] = [
        .name,
        TableColumn("Desired", type: "integer", description: "Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.") { o, _ in .int(count(o, ["spec", "replicas"])) },
        TableColumn("Current", type: "integer", description: "Replicas is the most recently observed number of replicas.") { o, _ in .int(count(o, ["status", "replicas"])) },
        TableColumn("Ready", type: "integer", description: "The number of ready replicas for this replication controller.") { o, _ in .int(count(o, ["status", "readyReplicas"])) },
        .age,
    ] + templateColumns(["spec", "template"])

    static let podTemplates: [TableColumn] = [
        TableColumn("Template", description: "Name must be unique within a namespace.") { o, _ in .string(o.metaName) },
        TableColumn("Containers", description: "Names of each container in the template.") { o, _ in
            .string((o[path: ["template", "spec", "containers"]]?.array ?? []).compactMap { $0["name"]?.string }.joined(separator: ","))
        },
        TableColumn("Images", description: "Images referenced by each container in the template.") { o, _ in
            .string((o[path: ["template", "spec", "containers"]]?.array ?? []).compactMap { $0["image"]?.string }.joined(separator: ","))
        },
        TableColumn("Pod Labels", description: "Labels of the pods made from the template.") { o, _ in
            let labels = o[path: ["template", "metadata", "labels"]]?.stringMap ?? [:]
            return .string(labels.isEmpty ? "<none>" : labels.keys.sorted().map { "\($0)=\(labels[$0] ?? "")" }.joined(separator: ","))
        },
    ]

    static let statefulSets: [TableColumn] = [
        .name,
        TableColumn("Ready", description: "Number of the pod with ready state") { o, _ in
            .string("\(count(o, ["status", "readyReplicas"]))/\(count(o, ["spec", "replicas"]))")
        },
        .age,
    ] + templateColumns(["spec", "template"], selector: false)

    static let daemonSets: [TableColumn] = [
        .name,
        TableColumn("Desired", type: "integer", description: "The total number of nodes that should be running the daemon pod.") { o, _ in .int(count(o, ["status", "desiredNumberScheduled"])) },
        TableColumn("Current", type: "integer", description: "The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.") { o, _ in .int(count(o, ["status", "currentNumberScheduled"])) },
        TableColumn("Ready", type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.") { o, _ in .int(count(o, ["status", "numberReady"])) },
        TableColumn("Up-to-date", type: "integer", description: "The total number of nodes that are running updated daemon pod") { o, _ in .int(count(o, ["status", "updatedNumberScheduled"])) },
        TableColumn("Available", type: "integer", description: "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)") { o, _ in .int(count(o, ["status", "numberAvailable"])) },
        TableColumn("Node Selector", description: "NodeSelector is a selector which must be true for the pod to fit on a node.") { o, _ in
            let selector = (o[path: ["spec", "template", "spec", "nodeSelector"]]?.stringMap ?? [:]).sorted { $0.key < $1.key }
            return .string(selector.isEmpty ? "<none>" : selector.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        },
        .age,
    ] + templateColumns(["spec", "template"])

    static let jobs: [TableColumn] = [
        .name,
        TableColumn("Status", description: "Status of the job.") { o, _ in
            let conditions = o[path: ["status", "conditions"]]?.array ?? []
            func has(_ type: String) -> Bool { conditions.contains { $0["type"]?.string == type && $0["status"]?.string == "True" } }
            if has("Complete") { return "Complete" }
            if has("Failed") { return "Failed" }
            if o.metaDeletionTimestamp != nil { return "Terminating" }
            if has("FailureTarget") { return "FailureTarget" }
            if has("Suspended") || o[path: ["spec", "suspend"]]?.bool == true { return "Suspended" }
            return "Running"
        },
        TableColumn("Completions", description: "The desired number of successfully finished pods the job should be run with.") { o, _ in
            let succeeded = count(o, ["status", "succeeded"])
            if let completions = o[path: ["spec", "completions"]]?.int { return .string("\(succeeded)/\(completions)") }
            let parallelism = count(o, ["spec", "parallelism"])
            return .string(parallelism > 1 ? "\(succeeded)/1 of \(parallelism)" : "\(succeeded)/1")
        },
        TableColumn("Duration", description: "Time required to complete the job.") { o, now in
            guard let start = o[path: ["status", "startTime"]]?.string.flatMap(Timestamp.parse) else { return "" }
            let end = o[path: ["status", "completionTime"]]?.string.flatMap(Timestamp.parse) ?? now
            return .string(HumanDuration.format(end - start))
        },
        .age,
    ] + templateColumns(["spec", "template"])

    static let cronJobs: [TableColumn] = [
        .name,
        TableColumn.text("Schedule", ["spec", "schedule"]),
        TableColumn.text("Timezone", ["spec", "timeZone"]).withEmpty("<none>"),
        TableColumn("Suspend", type: "boolean") { o, _ in .bool(o[path: ["spec", "suspend"]]?.bool ?? false) },
        TableColumn("Active", type: "integer") { o, _ in .int(Int64(o[path: ["status", "active"]]?.array?.count ?? 0)) },
        TableColumn("Last Schedule") { o, now in
            guard let last = o[path: ["status", "lastScheduleTime"]]?.string.flatMap(Timestamp.parse) else { return "<none>" }
            return .string(HumanDuration.format(now - last))
        },
        .age,
    ] + templateColumns(["spec", "jobTemplate", "spec", "template"])
}
