import FoundationEssentials
import KubeAPI
import Logging

/// Upstream's probe worker semantics: wait initialDelaySeconds, probe every periodSeconds with timeoutSeconds,
/// and change the result only after successThreshold consecutive successes or failureThreshold consecutive failures.
enum ProbeLoop {
    /// Startup probe: true once it succeeds, false after failureThreshold consecutive failures.
    static func untilSuccess(_ probe: Probe, prober: Prober, label: String, container: String, logger: Logger,
                             onFailure: @Sendable (String) -> Void = { _ in }) async -> Bool {
        var failures = 0
        return await observe(probe, prober: prober) { result -> Bool? in
            guard case .failure(let reason) = result else { return true }
            failures += 1
            logger.info("Probe failed", metadata: ["probeType": "\(label)", "output": "\(reason)"])
            onFailure(reason)
            return failures >= Int(probe.failureThreshold ?? 3) ? false : nil
        } ?? true
    }

    /// Liveness probe: returns true when failureThreshold consecutive failures were seen (restart needed).
    static func untilFailure(_ probe: Probe, prober: Prober, label: String, container: String, logger: Logger,
                             onFailure: @Sendable (String) -> Void = { _ in }) async -> Bool {
        var failures = 0
        return await observe(probe, prober: prober) { result -> Bool? in
            guard case .failure(let reason) = result else {
                failures = 0
                return nil
            }
            failures += 1
            logger.info("Probe failed", metadata: ["probeType": "\(label)", "output": "\(reason)"])
            onFailure(reason)
            return failures >= Int(probe.failureThreshold ?? 3) ? true : nil
        } ?? false
    }

    /// Readiness probe: reports every change of the ready state until cancelled.
    static func track(_ probe: Probe, prober: Prober, label: String, container: String, logger: Logger,
                      onFailure: @Sendable (String) -> Void = { _ in }, report: @Sendable (Bool) async -> Void) async {
        var successes = 0
        var failures = 0
        _ = await observe(probe, prober: prober) { result -> Bool? in
            switch result {
            case .success:
                successes += 1
                failures = 0
                if successes >= Int(probe.successThreshold ?? 1) { await report(true) }
            case .failure(let reason):
                failures += 1
                successes = 0
                onFailure(reason)
                if failures >= Int(probe.failureThreshold ?? 3) {
                    logger.debug("Probe failed", metadata: ["probeType": "\(label)", "output": "\(reason)"])
                    await report(false)
                }
            }
            return nil
        }
    }

    /// Probes at the probe's pace and hands each result to `decide` until it returns a verdict;
    /// nil when the task is cancelled first.
    private static func observe(_ probe: Probe, prober: Prober, decide: (ProbeResult) async -> Bool?) async -> Bool? {
        guard await sleep(Double(probe.initialDelaySeconds ?? 0)) else { return nil }
        while !Task.isCancelled {
            if let verdict = await decide(await prober.run(probe, timeout: Double(probe.timeoutSeconds ?? 1))) { return verdict }
            guard await sleep(Double(probe.periodSeconds ?? 10)) else { return nil }
        }
        return nil
    }

    private static func sleep(_ seconds: Double) async -> Bool {
        guard seconds > 0 else { return !Task.isCancelled }
        do { try await Task.sleep(for: .seconds(seconds)) } catch { return false }
        return true
    }
}

/// One container's probes as upstream's prober manager runs them, whichever runtime runs the container: the startup
/// probe until it passes, then liveness and readiness side by side. What the results mean for the container is the
/// caller's (`started`, `ready`, `failed` — a startup or liveness failure that asks for a restart).
enum ContainerProbes {
    static func start(_ container: Container, prober: Prober, logger: Logger,
                      event: @escaping @Sendable (String, String, String) async -> Void,
                      started: @escaping @Sendable () async -> Void,
                      ready: @escaping @Sendable (Bool) async -> Void,
                      failed: @escaping @Sendable (_ probe: Probe, _ kind: String) async -> Void) -> Task<Void, Never>? {
        guard container.startupProbe != nil || container.livenessProbe != nil || container.readinessProbe != nil else { return nil }
        let startup = container.startupProbe
        let liveness = container.livenessProbe
        let readiness = container.readinessProbe
        let name = container.name
        let report: @Sendable (String, String) -> Void = { kind, output in
            Task { await event("Warning", "Unhealthy", "\(kind) probe failed: \(output)") }
        }
        return Task {
            if let startup {
                let ok = await ProbeLoop.untilSuccess(startup, prober: prober, label: "Startup", container: name, logger: logger,
                                                      onFailure: { report("Startup", $0) })
                if !ok {
                    await failed(startup, "startup")
                    return
                }
            }
            await started()
            if readiness == nil { await ready(true) }
            await withTaskGroup(of: Void.self) { group in
                if let liveness {
                    group.addTask {
                        if await ProbeLoop.untilFailure(liveness, prober: prober, label: "Liveness", container: name, logger: logger,
                                                        onFailure: { report("Liveness", $0) }) {
                            await failed(liveness, "liveness")
                        }
                    }
                }
                if let readiness {
                    group.addTask {
                        await ProbeLoop.track(readiness, prober: prober, label: "Readiness", container: name, logger: logger,
                                              onFailure: { report("Readiness", $0) }) { value in await ready(value) }
                    }
                }
            }
        }
    }
}
