import Foundation
import KubeAPI
import Logging

/// Upstream's probe worker semantics: wait initialDelaySeconds, probe every periodSeconds with timeoutSeconds,
/// and change the result only after successThreshold consecutive successes or failureThreshold consecutive failures.
enum ProbeLoop {
    /// Startup probe: true once it succeeds, false after failureThreshold consecutive failures.
    static func untilSuccess(_ probe: Probe, prober: Prober, label: String, container: String, logger: Logger) async -> Bool {
        var failures = 0
        if !(await sleep(Double(probe.initialDelaySeconds ?? 0))) { return true }
        while !Task.isCancelled {
            switch await prober.run(probe, timeout: Double(probe.timeoutSeconds ?? 1)) {
            case .success:
                return true
            case .failure(let reason):
                failures += 1
                logger.info("Probe failed", metadata: ["probeType": "\(label)", "output": "\(reason)"])
                if failures >= Int(probe.failureThreshold ?? 3) { return false }
            }
            if !(await sleep(Double(probe.periodSeconds ?? 10))) { return true }
        }
        return true
    }

    /// Liveness probe: returns true when failureThreshold consecutive failures were seen (restart needed).
    static func untilFailure(_ probe: Probe, prober: Prober, label: String, container: String, logger: Logger) async -> Bool {
        var failures = 0
        if !(await sleep(Double(probe.initialDelaySeconds ?? 0))) { return false }
        while !Task.isCancelled {
            switch await prober.run(probe, timeout: Double(probe.timeoutSeconds ?? 1)) {
            case .success:
                failures = 0
            case .failure(let reason):
                failures += 1
                logger.info("Probe failed", metadata: ["probeType": "\(label)", "output": "\(reason)"])
                if failures >= Int(probe.failureThreshold ?? 3) { return true }
            }
            if !(await sleep(Double(probe.periodSeconds ?? 10))) { return false }
        }
        return false
    }

    /// Readiness probe: reports every change of the ready state until cancelled.
    static func track(_ probe: Probe, prober: Prober, label: String, container: String, logger: Logger,
                      report: @Sendable (Bool) async -> Void) async {
        var successes = 0
        var failures = 0
        if !(await sleep(Double(probe.initialDelaySeconds ?? 0))) { return }
        while !Task.isCancelled {
            switch await prober.run(probe, timeout: Double(probe.timeoutSeconds ?? 1)) {
            case .success:
                successes += 1
                failures = 0
                if successes >= Int(probe.successThreshold ?? 1) { await report(true) }
            case .failure(let reason):
                failures += 1
                successes = 0
                if failures >= Int(probe.failureThreshold ?? 3) {
                    logger.debug("Probe failed", metadata: ["probeType": "\(label)", "output": "\(reason)"])
                    await report(false)
                }
            }
            if !(await sleep(Double(probe.periodSeconds ?? 10))) { return }
        }
    }

    private static func sleep(_ seconds: Double) async -> Bool {
        guard seconds > 0 else { return !Task.isCancelled }
        do { try await Task.sleep(for: .seconds(seconds)) } catch { return false }
        return true
    }
}
