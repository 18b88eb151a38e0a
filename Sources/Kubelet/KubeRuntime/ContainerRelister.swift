import CRIClient
import Logging

/// upstream's GenericPLEG, reduced to what the supervisors need: one ListContainers (and, while pods watch their
/// sandboxes, one ListPodSandbox) per period for the whole node, instead of a status call per container per period.
/// A supervisor that knows its container's state waits here until a relist shows it in another state (or gone), then
/// asks the runtime for the details once; a pod worker waits the same way for its sandbox to stop being ready.
actor ContainerRelister {
    private let runtime: any RuntimeService
    private let period: Duration
    private let logger: Logger
    private enum Subject: Equatable {
        case container(Runtime_V1_ContainerState)
        case sandbox(Runtime_V1_PodSandboxState)
    }
    private struct Waiter {
        var id: String
        var known: Subject
        /// Only relists started after the waiter came count: an older answer may predate its container.
        var after: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }
    private var waiters: [UInt64: Waiter] = [:]
    private var nextToken: UInt64 = 0
    private var relistsStarted: UInt64 = 0
    private var loop: Task<Void, Never>?
    private var failures = 0

    init(runtime: any RuntimeService, period: Duration = .seconds(1), logger: Logger) {
        self.runtime = runtime
        self.period = period
        self.logger = logger
    }

    /// Returns once a relist shows container `id` in a state other than `known`, or gone; at once when cancelled.
    /// A wake-up may be spurious (the caller reads the container's status and waits again).
    func waitForChange(of id: String, from known: Runtime_V1_ContainerState) async {
        await wait(id, .container(known))
    }

    /// Returns once a relist shows sandbox `id` in a state other than `known`, or gone; at once when cancelled.
    func waitForSandboxChange(of id: String, from known: Runtime_V1_PodSandboxState) async {
        await wait(id, .sandbox(known))
    }

    private func wait(_ id: String, _ known: Subject) async {
        nextToken &+= 1
        let token = nextToken
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                if Task.isCancelled {
                    continuation.resume()
                    return
                }
                waiters[token] = Waiter(id: id, known: known, after: relistsStarted, continuation: continuation)
                if loop == nil { loop = Task { await self.run() } }
            }
        } onCancel: {
            Task { await self.cancel(token) }
        }
    }

    private func cancel(_ token: UInt64) {
        waiters.removeValue(forKey: token)?.continuation.resume()
    }

    /// Relists while anyone waits; ends when nobody does (the next waiter starts it again).
    private func run() async {
        while !waiters.isEmpty {
            do { try await Task.sleep(for: period) } catch { break }
            relistsStarted &+= 1
            let generation = relistsStarted
            var states: [String: Subject] = [:]
            do {
                if waiters.values.contains(where: { if case .container = $0.known { return true }; return false }) {
                    for c in try await runtime.listContainers(.init(), timeout: .seconds(30)).containers { states[c.id] = .container(c.state) }
                }
                if waiters.values.contains(where: { if case .sandbox = $0.known { return true }; return false }) {
                    for p in try await runtime.listPodSandbox(.init(), timeout: .seconds(30)).items { states[p.id] = .sandbox(p.state) }
                }
                if failures > 0 { logger.info("PLEG: the runtime lists containers again") }
                failures = 0
            } catch {
                // Upstream's PLEG turns unhealthy; the supervisors keep waiting for an answer.
                failures += 1
                if failures == 1 || failures % 60 == 0 { logger.warning("PLEG: relisting the runtime failed: \(error)") }
                continue
            }
            for (token, waiter) in waiters where waiter.after < generation && states[waiter.id] != waiter.known {
                waiters[token] = nil
                waiter.continuation.resume()
            }
        }
        loop = nil
    }
}
