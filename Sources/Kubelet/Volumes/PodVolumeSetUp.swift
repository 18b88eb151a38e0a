import FoundationEssentials
import Logging

extension RuntimeContext {
    /// Sets up the pod's volumes before its containers start (either runtime), retrying with a growing delay
    /// (1 s to 2 min) while one fails, with upstream's FailedMount event for each failure. False when the pod is
    /// stopped meanwhile (`isSyncing` turns false or the task is cancelled).
    func mountVolumes(of pod: KubeletPod, logger: Logger, isSyncing: @Sendable () async -> Bool) async -> Bool {
        var delay = 1.0
        while !Task.isCancelled, await isSyncing() {
            let failures = await volumes.setUp(pod)
            if failures.isEmpty { return true }
            for (volume, error) in failures {
                let message = "MountVolume.SetUp failed for volume \"\(volume)\" : \(error)"
                logger.error("\(message)", metadata: ["retryIn": "\(Int(delay))s"])
                events?.emit(PodEvent(podUID: pod.uid, container: "", type: "Warning", reason: "FailedMount", message: message))
            }
            do { try await Task.sleep(for: .seconds(delay)) } catch { return false }
            delay = min(delay * 2, 120)
        }
        return false
    }
}
