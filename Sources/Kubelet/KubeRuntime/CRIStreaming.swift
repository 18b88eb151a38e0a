import CRIClient

/// What a streaming request of the kubelet API asks the runtime for.
enum CRIStreamKind: Sendable {
    case exec(command: [String])
    case attach
    case portForward(ports: [Int32])
}

/// Why the runtime cannot serve a streaming request (the kubelet API answers with it).
struct CRIStreamingError: Error, CustomStringConvertible, Sendable {
    let description: String
}

extension CRIPodWorker {
    /// The runtime's streaming-server URL for an exec, attach or port-forward into this pod (CRI Exec/Attach/PortForward).
    func streamingURL(container name: String, kind: CRIStreamKind, tty: Bool, stdin: Bool, stdout: Bool, stderr: Bool) async throws -> String {
        switch kind {
        case .portForward(let ports):
            guard let sandbox = sandboxIDForStreaming else { throw CRIStreamingError(description: "pod sandbox not ready") }
            var request = Runtime_V1_PortForwardRequest()
            request.podSandboxID = sandbox
            request.port = ports
            return try await runtimeForStreaming.portForward(request, timeout: .seconds(30)).url
        case .exec(let command):
            guard let id = await containerID(named: name) else {
                throw CRIStreamingError(description: "container not found (\"\(name)\")")
            }
            var request = Runtime_V1_ExecRequest()
            request.containerID = id
            request.cmd = command
            request.tty = tty
            request.stdin = stdin
            request.stdout = stdout
            request.stderr = stderr && !tty
            return try await runtimeForStreaming.exec(request, timeout: .seconds(30)).url
        case .attach:
            guard let id = await containerID(named: name) else {
                throw CRIStreamingError(description: "container not found (\"\(name)\")")
            }
            var request = Runtime_V1_AttachRequest()
            request.containerID = id
            request.tty = tty
            request.stdin = stdin
            request.stdout = stdout
            request.stderr = stderr && !tty
            return try await runtimeForStreaming.attach(request, timeout: .seconds(30)).url
        }
    }
}
