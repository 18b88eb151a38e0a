import FoundationEssentials
import Glibc
import KubeAPI
import NIOCore
import NIOPosix
import NIOHTTP1
import NIOSSL

/// The outcome of one probe, with the reason upstream logs for a failure.
public enum ProbeResult: Sendable, Equatable {
    case success
    case failure(String)
}

/// Runs probes: exec (exit code 0), tcpSocket (connect), httpGet (status 200–399; HTTPS without certificate
/// verification, as upstream). For host processes exec runs on the host and the network probes go to 127.0.0.1;
/// a CRI container's prober runs exec through the runtime (ExecSync) and probes the pod's IP.
public struct Prober: Sendable {
    let group: any EventLoopGroup
    /// Runs an exec probe's command in the container; nil runs it on the host.
    var exec: (@Sendable ([String], Double) async -> ProbeResult)? = nil
    /// Where tcpSocket and httpGet probes go when they name no host.
    var defaultHost = "127.0.0.1"
    /// The host-process container whose mount namespace exec probes run in (nil: the kubelet's).
    var container: pid_t?

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// This prober for one CRI container.
    func forContainer(podIP: String, exec: @escaping @Sendable ([String], Double) async -> ProbeResult) -> Prober {
        var copy = self
        copy.exec = exec
        copy.defaultHost = podIP
        return copy
    }

    public func run(_ probe: Probe, timeout: Double) async -> ProbeResult {
        if let action = probe.exec {
            if let exec { return await exec(action.command ?? [], timeout) }
            return await runExec(action.command ?? [], timeout: timeout)
        }
        if let tcp = probe.tcpSocket { return await runTCP(host: tcp.host.flatMap { $0.isEmpty ? nil : $0 } ?? defaultHost, port: tcp.port, timeout: timeout) }
        if let http = probe.httpGet { return await runHTTP(http, timeout: timeout) }
        return .failure("probe has no handler")
    }

    /// This prober for one running host-process container: its exec probes see the container's mounts.
    func inContainer(pid: pid_t) -> Prober {
        var prober = self
        prober.container = pid
        return prober
    }

    func port(_ value: IntOrString) -> Int? {
        if case .int(let n) = value { return n }
        return nil
    }

    func runExec(_ command: [String], timeout: Double) async -> ProbeResult {
        let process: HostProcess
        do {
            process = try HostProcess.spawn(argv: command, environment: ["PATH=\(HostProcess.defaultPath)"], workingDir: nil,
                                            joiningMountNamespaceOf: container)
        }
        catch { return .failure("\(error)") }
        close(process.stdoutRead)
        close(process.stderrRead)
        let outcome = await withTaskGroup(of: ExitStatus?.self) { group -> ExitStatus? in
            group.addTask { await process.waitForExit() }
            group.addTask {
                try? await Task.sleep(for: .seconds(timeout))
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { process.signal(SIGKILL) }
            group.cancelAll()
            return first
        }
        guard let status = outcome else { return .failure("command timed out after \(timeout)s") }
        return status == .exited(0) ? .success : .failure("command \(command) exited with \(status.exitCode)")
    }

    func runTCP(host: String, port value: IntOrString, timeout: Double) async -> ProbeResult {
        guard let port = port(value) else { return .failure("named ports are not supported for a static pod probe") }
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(timeout * 1000)))
                .connect(host: host, port: port).get()
            try? await channel.close()
            return .success
        } catch {
            return .failure("dial tcp \(host):\(port): \(error)")
        }
    }

    func runHTTP(_ action: HTTPGetAction, timeout: Double) async -> ProbeResult {
        guard let port = port(action.port) else { return .failure("named ports are not supported for a static pod probe") }
        let host = action.host.flatMap { $0.isEmpty ? nil : $0 } ?? defaultHost
        let https = (action.scheme ?? "HTTP").uppercased() == "HTTPS"
        let path = action.path.flatMap { $0.isEmpty ? nil : $0 } ?? "/"
        let url = "\(https ? "https" : "http")://\(host):\(port)\(path)"
        let promise = group.next().makePromise(of: HTTPResponseStatus.self)
        do {
            var tlsContext: NIOSSLContext? = nil
            if https {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.certificateVerification = .none
                tlsContext = try NIOSSLContext(configuration: tls)
            }
            let context = tlsContext
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.milliseconds(Int64(timeout * 1000)))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let context {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(StatusHandler(promise: promise))
                    }
                }
                .connect(host: host, port: port).get()
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(host):\(port)")
            headers.add(name: "User-Agent", value: "kube-probe/1.32")
            headers.add(name: "Accept", value: "*/*")
            headers.add(name: "Connection", value: "close")
            for header in action.httpHeaders ?? [] { headers.replaceOrAdd(name: header.name, value: header.value) }
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
            channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
            let timer = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
                promise.fail(ProbeTimeout())
            }
            defer {
                timer.cancel()
                channel.close(promise: nil)
            }
            let status = try await promise.futureResult.get()
            if (200..<400).contains(Int(status.code)) { return .success }
            return .failure("HTTP probe failed with statuscode: \(status.code)")
        } catch is ProbeTimeout {
            return .failure("Get \"\(url)\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
        } catch {
            promise.fail(error)
            return .failure("Get \"\(url)\": \(error)")
        }
    }
}

struct ProbeTimeout: Error {}

/// Completes a promise with the status of the first response head.
final class StatusHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<HTTPResponseStatus>

    init(promise: EventLoopPromise<HTTPResponseStatus>) { self.promise = promise }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) { promise.succeed(head.status) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(ChannelError.eof)
    }
}
