import Glibc
import KubeAPI
import KubeStreams
import Logging
import NIOCore

/// `kubectl exec` into a host-process container over WebSocket (v5 or v4 channel protocol): stdin from channel 0
/// (ended by v5's close channel), stdout and stderr (or the terminal) out on 1 and 2, terminal sizes from 4, and the
/// result as a Status on 3 once the command ended and its output was sent.
struct HostExecSession {
    let request: StreamRequest
    let container: Container
    let target: StreamTarget
    let hostname: String
    let socket: WebSocketConnection
    let protocolName: String
    let logger: Logger

    static func environment(_ container: Container, _ target: StreamTarget, hostname: String) -> [(String, String)] {
        target.environment.isEmpty ? ContainerEnvironment.hostProcessEnvironment([], hostname: hostname) : target.environment
    }

    func run() async {
        let exec: HostExec
        do {
            exec = try await HostExec.start(command: request.command, environment: Self.environment(container, target, hostname: hostname),
                                            workingDir: container.workingDir, containerPID: target.status?.pid,
                                            stdin: request.stdin, stdout: request.stdout, stderr: request.stderr && !request.tty,
                                            tty: request.tty)
        } catch {
            try? await socket.send(channel: RemoteCommand.error, RemoteCommand.internalError("error executing command in container: \(error)"))
            await socket.close()
            return
        }
        logger.info("exec started", metadata: ["pod": "\(request.namespace)/\(request.pod)", "container": "\(request.container)",
                                               "command": "\(request.command)", "pid": "\(exec.pid)"])
        // The first message tells the client the streams are open (upstream writes an empty one on the lowest
        // channel it writes).
        let first = request.stdout ? RemoteCommand.stdout : (request.stderr && !request.tty ? RemoteCommand.stderr : RemoteCommand.error)
        try? await socket.send(channel: first, [])
        let socket = self.socket
        let isTTY = request.tty
        let inputTask = Task {
            for await (_, payload) in socket.messages() {
                guard let channel = payload.first else { continue }
                let data = Array(payload.dropFirst())
                switch channel {
                case RemoteCommand.stdin:
                    try? await exec.input?.write(data)
                case RemoteCommand.resize:
                    if let size = RemoteCommand.terminalSize(data) { exec.resize(width: size.width, height: size.height) }
                case RemoteCommand.close:
                    if data.first == RemoteCommand.stdin, !isTTY { exec.input?.close() }
                default:
                    continue
                }
            }
            // The client is gone: the command gets EOF on stdin (a terminal's hangup).
            if !isTTY { exec.input?.close() }
        }
        let outputs: [(RawConnection, UInt8)] = isTTY
            ? exec.input.map { [($0, RemoteCommand.stdout)] } ?? []
            : [exec.stdout.map { ($0, RemoteCommand.stdout) }, exec.stderr.map { ($0, RemoteCommand.stderr) }].compactMap { $0 }
        let pumps = Task {
            await withTaskGroup(of: Void.self) { group in
                for (connection, channel) in outputs {
                    group.addTask {
                        for await var chunk in connection.inbound {
                            let bytes = chunk.readBytes(length: chunk.readableBytes) ?? []
                            if (try? await socket.send(channel: channel, bytes)) == nil { break }
                        }
                    }
                }
            }
        }
        let code = await exec.waitForExit()
        // A child left in the background may hold the output open: it is not waited for beyond a moment.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await pumps.value }
            group.addTask { try? await Task.sleep(nanoseconds: 2_000_000_000) }
            await group.next()
            group.cancelAll()
        }
        pumps.cancel()
        for (connection, _) in outputs { connection.close() }
        try? await socket.send(channel: RemoteCommand.error, RemoteCommand.status(command: request.command, exitCode: code))
        logger.info("exec ended", metadata: ["pod": "\(request.namespace)/\(request.pod)", "exitCode": "\(code)"])
        inputTask.cancel()
        exec.input?.close()
        await socket.close()
    }

    /// `/run`: the command's output, both streams together, once it ended.
    static func run(_ request: StreamRequest, container: Container, target: StreamTarget, hostname: String) async -> (ok: Bool, text: String) {
        do {
            let exec = try await HostExec.start(command: request.command, environment: environment(container, target, hostname: hostname),
                                                workingDir: container.workingDir, containerPID: target.status?.pid,
                                                stdin: false, stdout: true, stderr: true, tty: false)
            var output: [UInt8] = []
            await withTaskGroup(of: [UInt8].self) { group in
                for connection in [exec.stdout, exec.stderr].compactMap({ $0 }) {
                    group.addTask {
                        var bytes: [UInt8] = []
                        for await var chunk in connection.inbound { bytes += chunk.readBytes(length: chunk.readableBytes) ?? [] }
                        return bytes
                    }
                }
                for await part in group { output += part }
            }
            _ = await exec.waitForExit()
            return (true, String(decoding: output, as: UTF8.self))
        } catch {
            return (false, "\(error)")
        }
    }
}
