import KubeStreams
import Logging

/// `kubectl attach` to a host-process container: what the container writes from now on, read from its log as the
/// kubelet records it, stdout on channel 1 and stderr on 2, until it stops (the result on 3) or the client leaves.
/// A host-process container's stdin is /dev/null, so there is nothing to attach stdin to.
struct HostAttachSession {
    let request: StreamRequest
    let target: StreamTarget
    let podLogsDir: String
    let kubelet: Kubelet
    let socket: WebSocketConnection
    let logger: Logger

    func run() async {
        let restartCount = target.status?.restartCount ?? 0
        let path = "\(podLogsDir)/\(target.pod.namespace)_\(target.pod.name)_\(target.pod.uid)/\(request.container)/\(restartCount).log"
        let socket = self.socket
        try? await socket.send(channel: request.stdout ? RemoteCommand.stdout : RemoteCommand.error, [])
        let watcher = Task {
            // The client's messages are read only to notice it leaving (and to answer its pings).
            for await _ in socket.messages() {}
        }
        var offset = ContainerLogs.fileSize(path)
        var carry: [UInt8] = []
        while !watcher.isCancelled, socket.raw.isActive {
            try? await Task.sleep(nanoseconds: 200_000_000)
            let size = ContainerLogs.fileSize(path)
            if size < offset { offset = 0 }
            if size > offset, let data = ContainerLogs.readRange(path, from: offset, to: size) {
                offset = size
                var lines = (carry + data).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                carry = Array(lines.removeLast())
                for line in lines {
                    guard let (stream, text) = Self.parse(line) else { continue }
                    if stream == "stderr", !request.stderr { continue }
                    if stream == "stdout", !request.stdout { continue }
                    try? await socket.send(channel: stream == "stderr" ? RemoteCommand.stderr : RemoteCommand.stdout, text)
                }
            }
            let current = await kubelet.streamTarget(namespace: request.namespace, pod: request.pod, container: request.container)
            guard current?.status?.state.isRunning == true, current?.status?.restartCount == restartCount else { break }
        }
        watcher.cancel()
        try? await socket.send(channel: RemoteCommand.error, RemoteCommand.status(command: [], exitCode: 0))
        await socket.close()
    }

    /// A CRI log line (`<time> <stream> <P|F> <message>`) as the stream and the bytes written (a newline after a
    /// full line).
    static func parse(_ line: ArraySlice<UInt8>) -> (String, [UInt8])? {
        let parts = line.split(separator: UInt8(ascii: " "), maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return nil }
        let stream = String(decoding: parts[1], as: UTF8.self)
        let message = parts.count == 4 ? Array(parts[3]) : []
        return (stream, message + (parts[2].first == UInt8(ascii: "P") ? [] : [UInt8(ascii: "\n")]))
    }
}
