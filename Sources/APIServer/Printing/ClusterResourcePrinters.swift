import KubeJSON

/// upstream's columns for storage, policy, networking and scheduling kinds.
extension Printers {
    static let persistentVolumes: [TableColumn] = [
        .name,
        TableColumn.text("Capacity", ["spec", "capacity", "storage"]),
        TableColumn("Access Modes") { o, _ in .string(AccessModes.short(o[path: ["spec", "accessModes"]])) },
        TableColumn.text("Reclaim Policy", ["spec", "persistentVolumeReclaimPolicy"]),
        TableColumn.text("Status", ["status", "phase"]),
        TableColumn("Claim") { o, _ in
            guard let name = o[path: ["spec", "claimRef", "name"]]?.string else { return "" }
            return .string("\(o[path: ["spec", "claimRef", "namespace"]]?.string ?? "")/\(name)")
        },
        TableColumn.text("StorageClass", ["spec", "storageClassName"]),
        TableColumn.text("VolumeAttributesClass", ["spec", "volumeAttributesClassName"]).withEmpty("<unset>"),
        TableColumn.text("Reason", ["status", "reason"]),
        .age,
        TableColumn.text("VolumeMode", priority: 1, ["spec", "volumeMode"]),
    ]

    static let persistentVolumeClaims: [TableColumn] = [
        .name,
        TableColumn.text("Status", ["status", "phase"]),
        TableColumn.text("Volume", ["spec", "volumeName"]),
        TableColumn.text("Capacity", ["status", "capacity", "storage"]),
        TableColumn("Access Modes") { o, _ in .string(AccessModes.short(o[path: ["status", "accessModes"]])) },
        TableColumn.text("StorageClass", ["spec", "storageClassName"]),
        TableColumn.text("VolumeAttributesClass", ["spec", "volumeAttributesClassName"]).withEmpty("<unset>"),
        .age,
        TableColumn.text("VolumeMode", priority: 1, ["spec", "volumeMode"]),
    ]

    static let storageClasses: [TableColumn] = [
        TableColumn("Name", format: "name") { o, _ in
            let isDefault = o[path: ["metadata", "annotations", "storageclass.kubernetes.io/is-default-class"]]?.string == "true"
            return .string(isDefault ? "\(o.metaName) (default)" : o.metaName)
        },
        TableColumn.text("Provisioner", ["provisioner"]),
        TableColumn.text("ReclaimPolicy", ["reclaimPolicy"]),
        TableColumn.text("VolumeBindingMode", ["volumeBindingMode"]),
        TableColumn("AllowVolumeExpansion", type: "boolean") { o, _ in .bool(o["allowVolumeExpansion"]?.bool ?? false) },
        .age,
    ]

    static func resourceList(_ list: JSONValue?, used: JSONValue? = nil) -> String {
        (list?.object ?? [:]).keys.sorted().map { key in
            let hard = StructuralSchema.display(list?[key] ?? .null)
            let current = used.flatMap { StructuralSchema.display($0[key] ?? "0") } ?? "0"
            return "\(key): \(current)/\(hard)"
        }.joined(separator: ", ")
    }

    static let resourceQuotas: [TableColumn] = [
        .name,
        .age,
        TableColumn("Request") { o, _ in
            let hard = (o[path: ["status", "hard"]]?.object ?? [:]).filter { !$0.key.hasPrefix("limits.") }
            return .string(resourceList(.object(hard), used: o[path: ["status", "used"]]))
        },
        TableColumn("Limit") { o, _ in
            let hard = (o[path: ["status", "hard"]]?.object ?? [:]).filter { $0.key.hasPrefix("limits.") }
            return .string(resourceList(.object(hard), used: o[path: ["status", "used"]]))
        },
    ]

    static let limitRanges: [TableColumn] = [
        .name,
        TableColumn("Created At", type: "date") { o, _ in .string(o.metaCreationTimestamp ?? "") },
    ]

    static let ingresses: [TableColumn] = [
        .name,
        TableColumn.text("Class", ["spec", "ingressClassName"]).withEmpty("<none>"),
        TableColumn("Hosts") { o, _ in
            let hosts = (o[path: ["spec", "rules"]]?.array ?? []).compactMap { $0["host"]?.string }
            return .string(hosts.isEmpty ? "*" : hosts.joined(separator: ","))
        },
        TableColumn("Address") { o, _ in
            let entries = o[path: ["status", "loadBalancer", "ingress"]]?.array ?? []
            return .string(entries.compactMap { $0["ip"]?.string ?? $0["hostname"]?.string }.joined(separator: ","))
        },
        TableColumn("Ports") { o, _ in .string((o[path: ["spec", "tls"]]?.array ?? []).isEmpty ? "80" : "80, 443") },
        .age,
    ]

    static let ingressClasses: [TableColumn] = [
        .name,
        TableColumn.text("Controller", ["spec", "controller"]),
        TableColumn("Parameters") { o, _ in
            guard let p = o[path: ["spec", "parameters"]] else { return "<none>" }
            let group = p["apiGroup"]?.string.map { "\($0)/" } ?? ""
            return .string("\(p["kind"]?.string ?? "").\(group)\(p["name"]?.string ?? "")")
        },
        .age,
    ]

    static let networkPolicies: [TableColumn] = [
        .name,
        TableColumn("Pod-Selector") { o, _ in
            let s = WorkloadSelector.format(o[path: ["spec", "podSelector"]])
            return .string(s == "<none>" ? "<none>" : s)
        },
        .age,
    ]

    static let podDisruptionBudgets: [TableColumn] = [
        .name,
        TableColumn("Min Available") { o, _ in o[path: ["spec", "minAvailable"]].map { .string(StructuralSchema.display($0)) } ?? "N/A" },
        TableColumn("Max Unavailable") { o, _ in o[path: ["spec", "maxUnavailable"]].map { .string(StructuralSchema.display($0)) } ?? "N/A" },
        TableColumn("Allowed Disruptions", type: "integer") { o, _ in .int(o[path: ["status", "disruptionsAllowed"]]?.int ?? 0) },
        .age,
    ]

    static let endpointSlices: [TableColumn] = [
        .name,
        TableColumn.text("AddressType", ["addressType"]),
        TableColumn("Ports") { o, _ in
            let ports = (o["ports"]?.array ?? []).map { port -> String in
                // An unset port means all ports: printed by its name, or `*` without one, as kubectl does.
                if let number = port["port"]?.int { return String(number) }
                return port["name"]?.string ?? "*"
            }
            return .string(listWithMore(ports))
        },
        TableColumn("Endpoints") { o, _ in
            let addresses = (o["endpoints"]?.array ?? []).flatMap { ($0["addresses"]?.array ?? []).map { $0.string ?? "" } }
            return .string(listWithMore(addresses))
        },
        .age,
    ]

    /// listWithMoreString: the first three, then `+ N more...`; `<unset>` for none.
    static func listWithMore(_ items: [String]) -> String {
        let shown = items.prefix(3).joined(separator: ",")
        if items.count > 3 { return "\(shown) + \(items.count - 3) more..." }
        return shown.isEmpty ? "<unset>" : shown
    }

    static let priorityClasses: [TableColumn] = [
        .name,
        TableColumn("Value", type: "integer") { o, _ in .int(o["value"]?.int ?? 0) },
        TableColumn("Global-Default", type: "boolean") { o, _ in .bool(o["globalDefault"]?.bool ?? false) },
        .age,
        TableColumn.text("PreemptionPolicy", ["preemptionPolicy"]),
    ]

    /// kubectl get csr: NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION.
    static let certificateSigningRequests: [TableColumn] = [
        .name,
        .age,
        TableColumn("SignerName") { o, _ in
            let signer = o[path: ["spec", "signerName"]]?.string ?? ""
            return .string(signer.isEmpty ? "<none>" : signer)
        },
        TableColumn.text("Requestor", ["spec", "username"]),
        TableColumn("RequestedDuration") { o, _ in
            guard let seconds = o[path: ["spec", "expirationSeconds"]]?.int else { return "<none>" }
            return .string(HumanDuration.format(Double(seconds)))
        },
        TableColumn("Condition") { o, _ in .string(csrCondition(o)) },
    ]

    /// Denied before Approved before Pending, then Failed and Issued (upstream's extractCSRStatus).
    static func csrCondition(_ o: JSONValue) -> String {
        let types = Set((o[path: ["status", "conditions"]]?.array ?? []).compactMap { $0["type"]?.string })
        var status = types.contains("Denied") ? "Denied" : types.contains("Approved") ? "Approved" : "Pending"
        if types.contains("Failed") { status += ",Failed" }
        if !(o[path: ["status", "certificate"]]?.string ?? "").isEmpty { status += ",Issued" }
        return status
    }
}

/// admissionregistration.k8s.io columns, as upstream's printers.
extension Printers {
    static let webhookConfigurations: [TableColumn] = [
        .name,
        TableColumn("Webhooks", type: "integer", description: "Webhooks indicates the number of webhooks registered in this configuration") { o, _ in
            .int(Int64(o["webhooks"]?.array?.count ?? 0))
        },
        .age,
    ]

    static let validatingAdmissionPolicies: [TableColumn] = [
        .name,
        TableColumn("Validations", type: "integer", description: "Validations indicates the number of validation rules defined in this configuration") { o, _ in
            .int(Int64(o[path: ["spec", "validations"]]?.array?.count ?? 0))
        },
        TableColumn("ParamKind", description: "ParamKind specifies the kind of resources used to parameterize this policy") { o, _ in
            guard let kind = o[path: ["spec", "paramKind"]], kind.object != nil else { return "<unset>" }
            return .string((kind["apiVersion"]?.string ?? "") + "/" + (kind["kind"]?.string ?? ""))
        },
        .age,
    ]

    static let validatingAdmissionPolicyBindings: [TableColumn] = [
        .name,
        TableColumn("PolicyName", description: "PolicyName indicates the policy definition which the policy binding binded to") { o, _ in
            .string(o[path: ["spec", "policyName"]]?.string ?? "")
        },
        TableColumn("ParamRef", description: "ParamRef indicates the param resource which sets the configration param") { o, _ in
            guard let ref = o[path: ["spec", "paramRef"]], ref.object != nil else { return "<unset>" }
            let name = ref["name"]?.string ?? ""
            if !name.isEmpty {
                let namespace = ref["namespace"]?.string ?? ""
                return .string((namespace.isEmpty ? "*" : namespace) + "/" + name)
            }
            if let selector = ref["selector"], selector.object != nil { return .string(WorkloadSelector.format(selector)) }
            return "<unset>"
        },
        .age,
    ]
}
