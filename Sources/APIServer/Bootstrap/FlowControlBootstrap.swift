import KubeJSON

/// The API Priority and Fairness configuration upstream's apiserver keeps in place (flowcontrol bootstrap: the
/// mandatory `exempt` and `catch-all` objects and the suggested ones). Kubestrap serves them for kubectl and for
/// clients that read them; requests are not yet classified by them.
enum FlowControlBootstrap {
    static let apiVersion: JSONValue = "flowcontrol.apiserver.k8s.io/v1"
    static let annotations: JSONValue = ["apf.kubernetes.io/autoupdate-spec": "true"]

    static func limited(_ name: String, shares: Int64, lendable: Int64, queues: (Int64, Int64, Int64)?) -> JSONValue {
        let response: JSONValue = queues.map { q in
            ["type": "Queue", "queuing": ["queues": .int(q.0), "handSize": .int(q.1), "queueLengthLimit": .int(q.2)]]
        } ?? ["type": "Reject"]
        return ["apiVersion": apiVersion, "kind": "PriorityLevelConfiguration",
                "metadata": ["name": .string(name), "annotations": annotations],
                "spec": ["type": "Limited", "limited": ["nominalConcurrencyShares": .int(shares), "lendablePercent": .int(lendable),
                                                        "limitResponse": response]]]
    }

    static let priorityLevels: [JSONValue] = [
        ["apiVersion": apiVersion, "kind": "PriorityLevelConfiguration",
         "metadata": ["name": "exempt", "annotations": annotations],
         "spec": ["type": "Exempt", "exempt": ["nominalConcurrencyShares": 0, "lendablePercent": 0]]],
        limited("catch-all", shares: 5, lendable: 0, queues: nil),
        limited("node-high", shares: 40, lendable: 25, queues: (64, 6, 50)),
        limited("system", shares: 30, lendable: 33, queues: (64, 6, 50)),
        limited("leader-election", shares: 10, lendable: 0, queues: (16, 4, 50)),
        limited("workload-high", shares: 40, lendable: 50, queues: (128, 6, 50)),
        limited("workload-low", shares: 100, lendable: 90, queues: (128, 6, 50)),
        limited("global-default", shares: 20, lendable: 50, queues: (128, 6, 50)),
    ]

    static func group(_ name: String) -> JSONValue { ["kind": "Group", "group": ["name": .string(name)]] }
    static func user(_ name: String) -> JSONValue { ["kind": "User", "user": ["name": .string(name)]] }
    static func serviceAccount(_ namespace: String, _ name: String) -> JSONValue {
        ["kind": "ServiceAccount", "serviceAccount": ["namespace": .string(namespace), "name": .string(name)]]
    }
    static let everyResource: JSONValue = ["verbs": ["*"], "apiGroups": ["*"], "resources": ["*"], "clusterScope": true, "namespaces": ["*"]]
    static let everyPath: JSONValue = ["verbs": ["*"], "nonResourceURLs": ["*"]]

    static func schema(_ name: String, level: String, precedence: Int64, byUser: Bool?, subjects: [JSONValue],
                       resourceRules: [JSONValue] = [everyResource], nonResourceRules: [JSONValue] = [everyPath]) -> JSONValue {
        var spec: JSONValue = ["priorityLevelConfiguration": ["name": .string(level)], "matchingPrecedence": .int(precedence),
                               "rules": [["subjects": .array(subjects), "resourceRules": .array(resourceRules),
                                          "nonResourceRules": .array(nonResourceRules)]]]
        if let byUser { spec["distinguisherMethod"] = ["type": byUser ? "ByUser" : "ByNamespace"] }
        return ["apiVersion": apiVersion, "kind": "FlowSchema", "metadata": ["name": .string(name), "annotations": annotations],
                "spec": spec]
    }

    static let leaderElectionResources: JSONValue = ["verbs": ["get", "create", "update"], "apiGroups": ["", "coordination.k8s.io"],
                                                     "resources": ["endpoints", "configmaps", "leases"], "namespaces": ["*"]]

    static let flowSchemas: [JSONValue] = [
        schema("exempt", level: "exempt", precedence: 1, byUser: nil, subjects: [group("system:masters")]),
        schema("probes", level: "exempt", precedence: 2, byUser: nil,
               subjects: [group("system:unauthenticated"), group("system:authenticated")], resourceRules: [],
               nonResourceRules: [["verbs": ["get"], "nonResourceURLs": ["/healthz", "/readyz", "/livez"]]]),
        schema("system-leader-election", level: "leader-election", precedence: 100, byUser: true,
               subjects: [user("system:kube-controller-manager"), user("system:kube-scheduler")],
               resourceRules: [leaderElectionResources], nonResourceRules: []),
        schema("endpoint-controller", level: "workload-high", precedence: 150, byUser: true,
               subjects: [user("system:kube-controller-manager"), serviceAccount("kube-system", "endpoint-controller")],
               resourceRules: [["verbs": ["get", "create", "update"], "apiGroups": [""], "resources": ["endpoints"], "namespaces": ["*"]]],
               nonResourceRules: []),
        schema("workload-leader-election", level: "leader-election", precedence: 200, byUser: true,
               subjects: [serviceAccount("kube-system", "*")], resourceRules: [leaderElectionResources], nonResourceRules: []),
        schema("system-node-high", level: "node-high", precedence: 400, byUser: true, subjects: [group("system:nodes")],
               resourceRules: [["verbs": ["*"], "apiGroups": ["", "coordination.k8s.io"], "resources": ["nodes", "nodes/status", "leases"],
                                "clusterScope": true, "namespaces": ["*"]]], nonResourceRules: []),
        schema("system-nodes", level: "system", precedence: 500, byUser: true, subjects: [group("system:nodes")]),
        schema("kube-controller-manager", level: "workload-high", precedence: 800, byUser: false,
               subjects: [user("system:kube-controller-manager")]),
        schema("kube-scheduler", level: "workload-high", precedence: 800, byUser: false, subjects: [user("system:kube-scheduler")]),
        schema("kube-system-service-accounts", level: "workload-high", precedence: 900, byUser: false,
               subjects: [serviceAccount("kube-system", "*")]),
        schema("service-accounts", level: "workload-low", precedence: 9000, byUser: true, subjects: [group("system:serviceaccounts")]),
        schema("global-default", level: "global-default", precedence: 9900, byUser: true,
               subjects: [group("system:unauthenticated"), group("system:authenticated")]),
        schema("catch-all", level: "catch-all", precedence: 10000, byUser: true,
               subjects: [group("system:unauthenticated"), group("system:authenticated")]),
    ]

    /// upstream's `Dangling` condition: whether the schema's priority level exists.
    static func status(of schema: JSONValue, levels: Set<String>) -> JSONValue {
        let level = schema[path: ["spec", "priorityLevelConfiguration", "name"]]?.string ?? ""
        let exists = levels.contains(level)
        return ["conditions": [[
            "type": "Dangling", "status": exists ? "False" : "True",
            "reason": exists ? "Found" : "NotFound",
            "message": .string(exists ? "This FlowSchema references the PriorityLevelConfiguration object named \"\(level)\" and it exists"
                                      : "This FlowSchema references the PriorityLevelConfiguration object named \"\(level)\" but there is no such object"),
            "lastTransitionTime": .string(Timestamp.format(Timestamp.now())),
        ]]]
    }
}

extension Bootstrapper {
    /// Creates the missing flow-control objects and marks each new FlowSchema's `Dangling` condition.
    func ensureFlowControl(_ context: RequestContext) async throws {
        guard let levels = server.store("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations"),
              let schemas = server.store("flowcontrol.apiserver.k8s.io", "v1", "flowschemas") else { return }
        for level in FlowControlBootstrap.priorityLevels { try await ensure(levels, namespace: "", level, context) }
        let names = Set(FlowControlBootstrap.priorityLevels.map(\.metaName))
        let statusContext = RequestContext(user: context.user, subresource: "status")
        for schema in FlowControlBootstrap.flowSchemas {
            try await ensure(schemas, namespace: "", schema, context)
            guard var stored = try? await schemas.get(namespace: "", name: schema.metaName), stored["status"] == nil else { continue }
            stored["status"] = FlowControlBootstrap.status(of: stored, levels: names)
            _ = try? await schemas.update(namespace: "", name: schema.metaName, object: stored, context: statusContext)
        }
    }
}
