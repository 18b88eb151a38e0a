import KubeJSON

/// How the apiserver reaches a kubelet (implemented over HTTPS with --kubelet-client-certificate in APIServerHTTP).
public protocol KubeletConnector: Sendable {
    /// GET `path` on the kubelet API at host:port; a streamed body for `follow`.
    func get(host: String, port: Int, path: String) async throws -> APIResponse
}

/// `pods/log`: finds the pod's node and its kubelet endpoint, and relays the kubelet's `/containerLogs` answer.
extension ResourceHandler {
    /// kube-apiserver's --kubelet-port default.
    static let defaultKubeletPort = 10250

    func podLogs() async throws -> APIResponse {
        guard let connector = server.kubelets else {
            throw StatusError(code: 503, reason: "ServiceUnavailable",
                              message: "pod logs are not available: --kubelet-client-certificate and --kubelet-client-key are not set")
        }
        let pod = try await store.get(namespace: namespace, name: info.name)
        // upstream's LogLocation chooses the container as the streams do: any container, init or ephemeral.
        let container = try Self.streamContainer(pod, requested: query["container"] ?? "", podName: info.name)
        guard let nodeName = pod[path: ["spec", "nodeName"]]?.string, !nodeName.isEmpty else {
            throw StatusError.badRequest("pod \(info.name) does not have a host assigned")
        }
        let (host, port) = try await kubeletEndpoint(node: nodeName)
        var params: [String] = []
        for key in ["follow", "previous", "timestamps", "tailLines", "sinceSeconds", "limitBytes", "sinceTime"] {
            if let v = query[key], !v.isEmpty { params.append("\(key)=\(v)") }
        }
        let path = "/containerLogs/\(namespace)/\(info.name)/\(container)" + (params.isEmpty ? "" : "?" + params.joined(separator: "&"))
        do {
            return try await connector.get(host: host, port: port, path: path)
        } catch {
            throw StatusError.internalError("Get \"https://\(host):\(port)\(path)\": \(error)")
        }
    }

    /// Where a node's kubelet listens: its first InternalIP, ExternalIP or Hostname address, and the port its status
    /// reports (upstream's GetConnectionInfo).
    func kubeletEndpoint(node nodeName: String) async throws -> (host: String, port: Int) {
        guard let nodes = server.store("", "v1", "nodes") else { throw StatusError.notFoundPath() }
        let node = try await nodes.get(namespace: "", name: nodeName)
        let addresses = node[path: ["status", "addresses"]]?.array ?? []
        var host: String?
        for type in ["InternalIP", "ExternalIP", "Hostname"] {
            if let a = addresses.first(where: { $0["type"]?.string == type })?["address"]?.string { host = a; break }
        }
        guard let host else { throw StatusError.badRequest("node \(nodeName) has no address to reach its kubelet") }
        var port = Int(node[path: ["status", "daemonEndpoints", "kubeletEndpoint", "Port"]]?.int ?? 0)
        // upstream's GetConnectionInfo: a kubelet that reports no port (0, or less) is reached on the default one.
        if port <= 0 { port = Self.defaultKubeletPort }
        // Beyond that the node's status says where its kubelet listens; a port no socket can have is refused here,
        // not by a trap converting it for the connect.
        guard port <= 65535 else {
            throw StatusError.internalError("node \(nodeName) reports kubelet port \(port), which is not a valid port")
        }
        return (host, port)
    }
}
