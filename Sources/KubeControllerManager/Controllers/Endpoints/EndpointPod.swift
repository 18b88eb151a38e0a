import KubeAPI
import KubeJSON

/// A pod as the endpoints and endpointslice controllers read it: the few fields that make an endpoint. Decoded only
/// for pods a Service selects (the selector reads labels from the JSON), so a pod event costs no decoding and a
/// sync decodes the Service's pods, not the namespace's.
struct EndpointPod: Sendable {
    let namespace: String
    let name: String
    let uid: String
    let isDeleting: Bool
    let nodeName: String
    let hostname: String
    let subdomain: String
    let containers: [PodContainer]
    let phase: String
    let podIP: String
    let podIPs: [String]
    let isReady: Bool

    /// Only what findPort reads of a container.
    struct PodContainer: Decodable, Sendable {
        var ports: [ContainerPort]?
    }

    private struct View: Decodable {
        struct Spec: Decodable {
            @OmitEmpty var nodeName: String = ""
            @OmitEmpty var hostname: String = ""
            @OmitEmpty var subdomain: String = ""
            var containers: [PodContainer]?
        }
        struct PodIP: Decodable {
            @GoValue var ip: String = ""
        }
        struct Status: Decodable {
            @OmitEmpty var phase: String = ""
            @OmitEmpty var podIP: String = ""
            var podIPs: [PodIP]?
            var conditions: [PodCondition]?
        }
        var spec: Spec?
        var status: Status?
    }

    /// Throws `UndecodableObject` naming the pod and the field.
    init(_ json: JSONValue) throws {
        namespace = json.metaNamespace
        name = json.metaName
        uid = json.metaUID
        isDeleting = json.metaDeletionTimestamp != nil
        let view: View
        do {
            view = try View(json: json)
        } catch {
            throw UndecodableObject(kind: "Pod", namespace: namespace, name: name, error: error)
        }
        nodeName = view.spec?.nodeName ?? ""
        hostname = view.spec?.hostname ?? ""
        subdomain = view.spec?.subdomain ?? ""
        containers = view.spec?.containers ?? []
        phase = view.status?.phase ?? ""
        podIP = view.status?.podIP ?? ""
        podIPs = (view.status?.podIPs ?? []).map(\.ip)
        isReady = view.status?.conditions?.first { $0.type == "Ready" }?.status == "True"
    }

    /// podutil.IsPodTerminal.
    var isTerminal: Bool { phase == "Succeeded" || phase == "Failed" }

    var reference: ObjectReference { ObjectReference(kind: "Pod", namespace: namespace, name: name, uid: uid) }

    /// The Service's selected pods that decode; one that does not is logged and left out (as a pod without an IP
    /// is), and the others go on.
    static func selected(_ pods: [JSONValue], by selector: Labels.Selector, warn: (UndecodableObject) -> Void) -> [EndpointPod] {
        pods.compactMap { pod in
            guard selector.matches(pod.metaLabels) else { return nil }
            do {
                return try EndpointPod(pod)
            } catch {
                warn(error as? UndecodableObject ?? UndecodableObject(kind: "Pod", namespace: pod.metaNamespace, name: pod.metaName, error: error))
                return nil
            }
        }
    }
}
