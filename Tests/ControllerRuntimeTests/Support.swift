import Foundation
import KubeJSON
import Logging

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Polls `condition` until it holds or the deadline passes (a loaded 2-core machine: generous deadlines, no sleeps
/// as synchronisation).
func eventually(timeout: Double = 90, line: Int = #line, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    throw TestFailure("condition at line \(line) not met within \(timeout)s")
}

let quietLogger: Logger = {
    var logger = Logger(label: "test")
    logger.logLevel = .critical
    return logger
}()

func configMap(_ name: String, namespace: String = "default", labels: [String: String] = [:]) -> JSONValue {
    var cm: JSONValue = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name), "namespace": .string(namespace)]]
    if !labels.isEmpty { cm[path: ["metadata", "labels"]] = .object(labels.mapValues { .string($0) }) }
    return cm
}
