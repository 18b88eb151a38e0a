import FoundationEssentials
import KubeClient
import Logging

/// What kube-controller-manager and kube-scheduler share around their work: the health port, and leader election
/// with upstream's lease and fatal exit when the lease is lost ("leaderelection lost"), so that the kubelet
/// restarts the process and it campaigns again from a clean state.
public struct ComponentServing: Sendable {
    public var name: String
    public var bindAddress: String
    public var securePort: Int
    public var leaderElect: Bool
    public var election: LeaderElectionConfig
    public var client: any KubernetesClient
    public var clock: any RuntimeClock
    public var logger: Logger

    public init(name: String, bindAddress: String, securePort: Int, leaderElect: Bool, election: LeaderElectionConfig,
                client: any KubernetesClient, clock: any RuntimeClock = SystemClock(), logger: Logger) {
        self.name = name
        self.bindAddress = bindAddress
        self.securePort = securePort
        self.leaderElect = leaderElect
        self.election = election
        self.client = client
        self.clock = clock
        self.logger = logger
    }

    /// The identity upstream uses: `<hostname>_<uuid>`.
    public static func identity() -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let host = buffer.withUnsafeMutableBufferPointer { p -> String in
            guard let base = p.baseAddress, gethostname(base, 255) == 0 else { return "localhost" }
            return String(decoding: p.prefix { $0 != 0 }, as: UTF8.self)
        }
        return "\(host)_\(UUID().uuidString.lowercased())"
    }

    public enum Outcome: Sendable { case stopped, leaderElectionLost, servingFailed(String) }

    /// Serves health and runs `work` (as leader when leader election is on) until the task is cancelled or the
    /// lease is lost.
    public func run(work: @escaping @Sendable () async -> Void) async -> Outcome {
        let elector = leaderElect ? LeaderElector(config: election, client: client, clock: clock, logger: logger) : nil
        var checks: [HealthServer.Check] = []
        if let elector { checks.append { ("leaderElection", elector.isHealthy) } }
        let server: HealthServer?
        if securePort > 0 {
            do {
                server = try await HealthServer.start(host: bindAddress, port: securePort, checks: checks, logger: logger)
            } catch {
                return .servingFailed("failed to listen on \(bindAddress):\(securePort): \(error)")
            }
        } else {
            server = nil
        }
        defer { if let server { Task { await server.close() } } }
        guard let elector else {
            await work()
            return .stopped
        }
        let lost = await elector.run(lead: work)
        if lost { logger.critical("leaderelection lost") }
        return lost ? .leaderElectionLost : .stopped
    }
}

#if canImport(Glibc)
import Glibc
#endif
