import KubeAPI
import KubeJSON

/// The `scale` subresource of deployments, replicasets and statefulsets (`kubectl scale`): an autoscaling/v1 Scale
/// read from the object, and written back as `spec.replicas` only.
extension ResourceHandler {
    static let scaledResources: Set<String> = ["apps/deployments", "apps/replicasets", "apps/statefulsets", "/replicationcontrollers"]
    static let scaleDefinition = "io.k8s.api.autoscaling.v1.Scale"

    var servesScale: Bool { Self.scaledResources.contains("\(def.group)/\(def.resource)") }

    func scale() async throws -> APIResponse {
        let scaleResource = GroupResource(group: "autoscaling", resource: "scale")
        switch info.verb {
        case "get":
            return .json(Self.scale(of: try await store.get(namespace: namespace, name: info.name)))
        case "update", "patch":
            let contentType = (request.header("content-type") ?? "").split(separator: ";").first.map { $0.trimmingCharacters() } ?? ""
            let body = try BodyDecoder.decode(request.body, contentType: contentType.isEmpty ? nil : contentType, kind: "Scale")
            let name = info.name
            let verb = info.verb
            let (object, _) = try await store.guaranteedUpdate(namespace: namespace, name: name, context: context) { current in
                guard var current else { throw StatusError.notFound(self.def.groupResource, name) }
                let before = Self.scale(of: current)
                var wanted: JSONValue
                if verb == "update" {
                    wanted = body
                    let rv = body.metaResourceVersion
                    if !rv.isEmpty, rv != current.metaResourceVersion {
                        throw StatusError.conflict(self.def.groupResource, name, StatusError.optimisticLockMessage)
                    }
                } else if contentType == "application/json-patch+json" {
                    wanted = try JSONPatch.apply(body, to: before)
                } else {
                    wanted = MergePatch.apply(body, to: before)
                }
                // The Scale is decoded as upstream decodes it into autoscaling/v1's struct: a replicas count beyond
                // int32 is a 400 before it can reach the object.
                do throws(FieldPruner.TypeError) {
                    var pruner = FieldPruner()
                    try pruner.prune(&wanted, schema: .ref(Self.scaleDefinition))
                } catch {
                    throw StatusError.undecodable(kind: "Scale", version: "v1", error)
                }
                // A protobuf Scale carries replicas 0 as Go's omitted zero.
                if contentType == MediaType.protobufType, wanted[path: ["spec", "replicas"]] == nil {
                    wanted[path: ["spec", "replicas"]] = 0
                }
                guard let replicas = wanted[path: ["spec", "replicas"]]?.int else {
                    throw StatusError.invalid(kind: "Scale", group: "autoscaling", name: name, [.required("spec.replicas")])
                }
                if replicas < 0 {
                    throw StatusError.invalid(kind: "Scale", group: "autoscaling", name: name, [
                        .invalid("spec.replicas", number: replicas, "must be greater than or equal to 0")])
                }
                current[path: ["spec", "replicas"]] = .int(replicas)
                return current
            }
            return .json(Self.scale(of: object))
        default:
            throw StatusError.methodNotSupported(scaleResource, info.verb)
        }
    }

    static func scale(of object: JSONValue) -> JSONValue {
        var meta: JSONValue = ["name": .string(object.metaName), "uid": .string(object.metaUID),
                               "resourceVersion": .string(object.metaResourceVersion)]
        if !object.metaNamespace.isEmpty { meta["namespace"] = .string(object.metaNamespace) }
        if let created = object.metaCreationTimestamp { meta["creationTimestamp"] = .string(created) }
        return [
            "kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": meta,
            "spec": ["replicas": .int(object[path: ["spec", "replicas"]]?.int ?? 0)],
            "status": ["replicas": .int(object[path: ["status", "replicas"]]?.int ?? 0),
                       "selector": .string(WorkloadSelector.format(object[path: ["spec", "selector"]]).replacingOccurrences(of: "<none>", with: ""))],
        ]
    }
}
