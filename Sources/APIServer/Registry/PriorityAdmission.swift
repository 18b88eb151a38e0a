import KubeJSON
import KubeStorage

/// upstream's Priority admission plugin: a pod's `priority` (and `preemptionPolicy`) come from its
/// `priorityClassName`, or from the global default class, or 0; a class that does not exist, or a priority that
/// contradicts the class, is refused.
struct PriorityAdmission: AdmissionPlugin {
    var name: String { "Priority" }
    let storage: any StorageBackend

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .create, resource.group.isEmpty, resource.resource == "pods", context.subresource.isEmpty else { return }
        let className = object[path: ["spec", "priorityClassName"]]?.string ?? ""
        var value: Int64 = 0
        var preemption: JSONValue?
        let name = object.metaName
        if className.isEmpty {
            let classes = try await storage.range(prefix: "/registry/priorityclasses/", startAfter: nil, limit: 0)
            if let global = classes.kvs.compactMap({ try? JSONParser.parse($0.value) }).first(where: { $0["globalDefault"]?.bool == true }) {
                value = global["value"]?.int ?? 0
                preemption = global["preemptionPolicy"]
                object[path: ["spec", "priorityClassName"]] = .string(global.metaName)
            }
        } else {
            guard let kv = try await storage.get("/registry/priorityclasses/\(className)"), let pc = try? JSONParser.parse(kv.value) else {
                throw StatusError.forbidden("pods \"\(name)\" is forbidden: no PriorityClass with name \(className) was found",
                                            resource: GroupResource(group: "", resource: "pods"), name: name)
            }
            value = pc["value"]?.int ?? 0
            preemption = pc["preemptionPolicy"]
        }
        if let given = object[path: ["spec", "priority"]]?.int, given != value {
            throw StatusError.forbidden("pods \"\(name)\" is forbidden: the integer value of priority (\(given)) must not be provided in pod spec; priority admission controller computed \(value) from the given PriorityClass name",
                                        resource: GroupResource(group: "", resource: "pods"), name: name)
        }
        object[path: ["spec", "priority"]] = .int(value)
        if object[path: ["spec", "preemptionPolicy"]] == nil { object[path: ["spec", "preemptionPolicy"]] = preemption ?? "PreemptLowerPriority" }
    }
}
