import Foundation
import Logging
@testable import Kubelet

struct TempDir: ~Copyable {
    let path: String
    init() throws {
        path = NSTemporaryDirectory() + "kubelet-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: "\(path)/\(name)", atomically: true, encoding: .utf8)
    }
}

/// Polls `condition` every 20 ms until it holds or `seconds` pass; no sleeps as synchronisation. The deadline is
/// generous because the whole suite shares two cores with key generation and other suites on a cold CI run.
/// Polls `condition` until it holds. The default deadline is generous on purpose: the whole suite runs in one
/// process on two cooperative threads, and under a CPU hog a pod start here waited over 30 s for its turn.
func eventually(within seconds: Double = 120, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

let testLogger: Logger = {
    if ProcessInfo.processInfo.environment["KUBELET_TEST_LOG"] != nil { KlogOnce.install() }
    var logger = Logger(label: "kubelet-test")
    logger.logLevel = ProcessInfo.processInfo.environment["KUBELET_TEST_LOG"] != nil ? .debug : .critical
    return logger
}()

func podYAML(name: String, namespace: String? = nil, script: String, extra: String = "") -> String {
    """
    apiVersion: v1
    kind: Pod
    metadata:
      name: \(name)
    \(namespace.map { "  namespace: \($0)" } ?? "")
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: main
        image: busybox:1.36
        command: ["/bin/sh", "-c", '\(script.replacingOccurrences(of: "'", with: "''"))']
    \(extra)
    """
}

func processExists(_ pid: Int32) -> Bool { kill(pid, 0) == 0 }

import KubeLog
enum KlogOnce {
    static let installed: Void = { KlogHandler.bootstrap(verbosity: 4) }()
    static func install() { _ = installed }
}
