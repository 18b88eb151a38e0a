import KubeJSON

/// Events written by the in-process controllers, as upstream's components record them (core/v1, so
/// `kubectl describe` and `kubectl get events` show them with the component as the source).
struct ControllerEvents: Sendable {
    let server: APIServer
    let component: String

    func record(_ object: JSONValue, type: String = "Normal", reason: String, message: String) async {
        guard let events = server.store("", "v1", "events") else { return }
        let now = Timestamp.format(Timestamp.now())
        let namespace = object.metaNamespace.isEmpty ? "default" : object.metaNamespace
        var suffix = ""
        for _ in 0..<16 { suffix.append("0123456789abcdef".randomElement() ?? "0") }
        let event: JSONValue = [
            "apiVersion": "v1", "kind": "Event",
            "metadata": ["name": .string("\(object.metaName).\(suffix)"), "namespace": .string(namespace)],
            "involvedObject": ["kind": .string(object["kind"]?.string ?? ""), "apiVersion": .string(object["apiVersion"]?.string ?? "v1"),
                               "namespace": .string(object.metaNamespace), "name": .string(object.metaName),
                               "uid": .string(object.metaUID), "resourceVersion": .string(object.metaResourceVersion)],
            "reason": .string(reason), "message": .string(message), "type": .string(type),
            "source": ["component": .string(component)], "reportingComponent": .string(component),
            "firstTimestamp": .string(now), "lastTimestamp": .string(now), "count": 1,
        ]
        let context = RequestContext(user: UserInfo(name: "system:\(component)", groups: ["system:masters"]), fieldManager: component)
        _ = try? await events.create(namespace: namespace, object: event, context: context)
    }
}
