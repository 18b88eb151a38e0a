import KubeJSON

/// A pod as quota reads it (upstream's pod evaluator): whether it still counts, its scopes, and the requests and
/// limits of its containers. Shared by the quota admission plugin and the resourcequota controller.
public struct QuotaPod: Sendable {
    public struct Resources: Decodable, Sendable {
        public var requests: [String: ResourceQuantity]?
        public var limits: [String: ResourceQuantity]?
    }
    public struct QuotaContainer: Decodable, Sendable {
        public var name: String?
        public var resources: Resources?
    }
    private struct View: Decodable {
        struct Meta: Decodable {
            var deletionTimestamp: String?
            var deletionGracePeriodSeconds: Int64?
        }
        struct Spec: Decodable {
            var containers: [QuotaContainer]?
            var initContainers: [QuotaContainer]?
            var overhead: [String: ResourceQuantity]?
            var activeDeadlineSeconds: Int64?
            var priorityClassName: String?
        }
        struct Status: Decodable {
            var phase: String?
        }
        var metadata: Meta?
        var spec: Spec?
        var status: Status?
    }

    public let phase: String
    public let deletionTimestamp: String?
    public let deletionGracePeriodSeconds: Int64?
    public let containers: [QuotaContainer]
    public let initContainers: [QuotaContainer]
    public let overhead: [String: ResourceQuantity]
    public let activeDeadlineSeconds: Int64?
    public let priorityClassName: String

    /// Throws the decoding error, which names the field.
    public init(_ json: JSONValue) throws {
        let view = try View(json: json)
        phase = view.status?.phase ?? ""
        deletionTimestamp = view.metadata?.deletionTimestamp
        deletionGracePeriodSeconds = view.metadata?.deletionGracePeriodSeconds
        containers = view.spec?.containers ?? []
        initContainers = view.spec?.initContainers ?? []
        overhead = view.spec?.overhead ?? [:]
        activeDeadlineSeconds = view.spec?.activeDeadlineSeconds
        priorityClassName = view.spec?.priorityClassName ?? ""
    }

    public var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }

    /// Upstream's QOS BestEffort: no container (init containers included) requests or limits cpu or memory.
    public var isBestEffort: Bool {
        (containers + initContainers).allSatisfy { container in
            let named = Set((container.resources?.requests ?? [:]).keys).union((container.resources?.limits ?? [:]).keys)
            return named.isDisjoint(with: ["cpu", "memory"])
        }
    }

    /// Terminating scope: the pod has an active deadline.
    public var isTerminating: Bool { activeDeadlineSeconds.map { $0 >= 0 } ?? false }
}

/// A Service as quota reads it: its type and whether each port has a node port.
public struct QuotaService: Decodable, Sendable {
    public struct Spec: Decodable, Sendable {
        public struct Port: Decodable, Sendable { public var nodePort: Int32? }
        public var type: String?
        public var ports: [Port]?
    }
    public var spec: Spec?
}
