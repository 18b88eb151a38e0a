import KubeAPI
import KubeJSON

/// Where the HTTP server proxies a streaming request: the kubelet API of the pod's node, reached with the
/// apiserver's kubelet client certificate. The connection itself is upgraded and copied by the HTTP server
/// (APIServerHTTP), as upstream's upgrade-aware proxy does; the apiserver never runs the command.
public struct StreamUpgrade: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The kubelet path and query (`/exec/<ns>/<pod>/<container>?command=…&input=1&output=1`).
    public var path: String
    /// `portforward`: a WebSocket client tunnels SPDY (`SPDY/3.1+portforward.k8s.io`), which the proxy unwraps.
    public var isPortForward: Bool

    public init(host: String, port: Int, path: String, isPortForward: Bool) {
        self.host = host
        self.port = port
        self.path = path
        self.isPortForward = isPortForward
    }
}

/// `pods/exec`, `pods/attach` and `pods/portforward` (GET and POST, as upstream's connect subresources): the
/// options from the query, the container defaulted and checked as upstream's `streamLocation` does, and the
/// kubelet location with upstream's kubelet parameters (`input`, `output`, `error`, `tty`, `command`, `port`).
extension ResourceHandler {
    func podStream() async throws -> APIResponse {
        guard ["GET", "POST"].contains(request.method) else {
            throw StatusError.methodNotSupported(GroupResource(group: "", resource: "pods/\(info.subresource)"), info.verb)
        }
        let pod = try await store.get(namespace: namespace, name: info.name)
        var params: [(String, String)] = []
        var kubeletPath: String
        let podName = pod[path: ["metadata", "name"]]?.string ?? info.name
        if info.subresource == "portforward" {
            var ports: [String] = []
            for text in query.all("ports").flatMap({ $0.split(separator: ",").map(String.init) }) {
                guard let port = Int(text), (1...65535).contains(port) else {
                    throw StatusError.badRequest("\"\(text)\" is not a valid port number")
                }
                ports.append(String(port))
            }
            if !ports.isEmpty { params.append(("port", ports.joined(separator: ","))) }
            kubeletPath = "/portForward/\(namespace)/\(podName)"
        } else {
            let stdin = query.bool("stdin"), stdout = query.bool("stdout"), stderr = query.bool("stderr"), tty = query.bool("tty")
            if !stdin && !stdout && !stderr {
                throw StatusError.badRequest("you must specify at least 1 of stdin, stdout, stderr")
            }
            let container = try Self.streamContainer(pod, requested: query["container"] ?? "", podName: info.name)
            if stdin { params.append(("input", "1")) }
            if stdout { params.append(("output", "1")) }
            if stderr { params.append(("error", "1")) }
            if tty { params.append(("tty", "1")) }
            if info.subresource == "exec" {
                params = query.all("command").map { ("command", $0) } + params
            }
            kubeletPath = "/\(info.subresource)/\(namespace)/\(podName)/\(container)"
        }
        guard let nodeName = pod[path: ["spec", "nodeName"]]?.string, !nodeName.isEmpty else {
            throw StatusError.badRequest("pod \(info.name) does not have a host assigned")
        }
        let (host, port) = try await kubeletEndpoint(node: nodeName)
        if !params.isEmpty {
            kubeletPath += "?" + params.map { "\($0.0)=\(QueryEscaping.escape($0.1))" }.joined(separator: "&")
        }
        guard server.kubelets != nil else {
            throw StatusError.serviceUnavailable("pod \(info.subresource) is not available: --kubelet-client-certificate and --kubelet-client-key are not set")
        }
        var response = APIResponse.error(StatusError.badRequest("Upgrade request required"))
        response.upgrade = StreamUpgrade(host: host, port: port, path: kubeletPath, isPortForward: info.subresource == "portforward")
        return response
    }

    /// upstream's container choice for a stream: the one asked for (any container, init or ephemeral), or the only
    /// container; otherwise upstream's message listing the choices.
    static func streamContainer(_ pod: JSONValue, requested: String, podName: String) throws -> String {
        func names(_ key: String) -> [String] { (pod[path: ["spec", key]]?.array ?? []).compactMap { $0["name"]?.string } }
        let containers = names("containers"), initContainers = names("initContainers"), ephemeral = names("ephemeralContainers")
        if requested.isEmpty {
            switch containers.count {
            case 1: return containers[0]
            case 0: throw StatusError.badRequest("a container name must be specified for pod \(podName)")
            default:
                var message = "a container name must be specified for pod \(podName), choose one of: [\(containers.joined(separator: " "))]"
                if !initContainers.isEmpty { message += " or one of the init containers: [\(initContainers.joined(separator: " "))]" }
                if !ephemeral.isEmpty { message += " or one of the ephemeral containers: [\(ephemeral.joined(separator: " "))]" }
                throw StatusError.badRequest(message)
            }
        }
        guard (containers + initContainers + ephemeral).contains(requested) else {
            throw StatusError.badRequest("container \(requested) is not valid for pod \(podName)")
        }
        return requested
    }
}
