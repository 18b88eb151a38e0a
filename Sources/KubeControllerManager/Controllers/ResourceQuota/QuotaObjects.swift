import KubeAPI
import KubeJSON

/// A pod as quota reads it: whether it still counts, its scopes, and the requests and limits of its containers.
struct QuotaPod: Sendable {
    struct Resources: Decodable, Sendable {
        var requests: [String: ResourceQuantity]?
        var limits: [String: ResourceQuantity]?
    }
    struct QuotaContainer: Decodable, Sendable {
        var resources: Resources?
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
        }
        struct Status: Decodable {
            var phase: String?
        }
        var metadata: Meta?
        var spec: Spec?
        var status: Status?
    }

    let phase: String
    let deletionTimestamp: String?
    let deletionGracePeriodSeconds: Int64?
    let containers: [QuotaContainer]
    let initContainers: [QuotaContainer]
    let overhead: [String: ResourceQuantity]
    let activeDeadlineSeconds: Int64?

    /// Throws `UndecodableObject` naming the pod and the field.
    init(_ json: JSONValue) throws {
        do {
            let view = try View(json: json)
            phase = view.status?.phase ?? ""
            deletionTimestamp = view.metadata?.deletionTimestamp
            deletionGracePeriodSeconds = view.metadata?.deletionGracePeriodSeconds
            containers = view.spec?.containers ?? []
            initContainers = view.spec?.initContainers ?? []
            overhead = view.spec?.overhead ?? [:]
            activeDeadlineSeconds = view.spec?.activeDeadlineSeconds
        } catch {
            throw UndecodableObject(kind: "Pod", namespace: json.metaNamespace, name: json.metaName, error: error)
        }
    }

    var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }
}

/// A Service as quota reads it: its type and whether each port has a node port.
struct QuotaService: Decodable, Sendable {
    struct Spec: Decodable, Sendable {
        struct Port: Decodable, Sendable { var nodePort: Int32? }
        var type: String?
        var ports: [Port]?
    }
    var spec: Spec?
}
