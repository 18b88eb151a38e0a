import KubeJSON
@testable import KubeProxy
import Synchronization

enum Fixtures {
    static func service(_ namespace: String, _ name: String, clusterIP: String, type: String = "ClusterIP",
                        ports: [(name: String, port: Int, nodePort: Int?, proto: String)]) -> JSONValue {
        let portValues: [JSONValue] = ports.map { p in
            var port: [String: JSONValue] = ["name": .string(p.name), "port": .int(Int64(p.port)), "protocol": .string(p.proto),
                                             "targetPort": .int(Int64(p.port))]
            if let nodePort = p.nodePort { port["nodePort"] = .int(Int64(nodePort)) }
            return .object(port)
        }
        return ["apiVersion": "v1", "kind": "Service",
                "metadata": ["name": .string(name), "namespace": .string(namespace), "uid": .string("uid-\(name)")],
                "spec": ["clusterIP": .string(clusterIP), "clusterIPs": [.string(clusterIP)], "type": .string(type), "ports": .array(portValues)]]
    }

    static func slice(_ namespace: String, _ service: String, suffix: String = "abcde", addressType: String = "IPv4",
                      endpoints: [(ip: String, ready: Bool?, serving: Bool?, terminating: Bool?)],
                      ports: [(name: String, port: Int, proto: String)]) -> JSONValue {
        let endpointValues: [JSONValue] = endpoints.map { e in
            var conditions: [String: JSONValue] = [:]
            if let ready = e.ready { conditions["ready"] = .bool(ready) }
            if let serving = e.serving { conditions["serving"] = .bool(serving) }
            if let terminating = e.terminating { conditions["terminating"] = .bool(terminating) }
            return ["addresses": [.string(e.ip)], "conditions": .object(conditions)]
        }
        return ["apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": .string(addressType),
                "metadata": ["name": .string("\(service)-\(suffix)"), "namespace": .string(namespace),
                             "labels": ["kubernetes.io/service-name": .string(service)]],
                "endpoints": .array(endpointValues),
                "ports": .array(ports.map { ["name": .string($0.name), "port": .int(Int64($0.port)), "protocol": .string($0.proto)] })]
    }

    static func ready(_ ips: String...) -> [(ip: String, ready: Bool?, serving: Bool?, terminating: Bool?)] {
        ips.map { ($0, true, true, false) }
    }
}

/// Records every iptables call and answers from a script: `iptables-save` prints `saved`, the rest succeed unless
/// the program is in `failing`.
final class RecordingExecutor: IPTablesExecutor {
    struct Call: Sendable, Equatable {
        var program: String
        var arguments: [String]
        var input: String?
    }

    private struct State {
        var calls: [Call] = []
        var saved = "*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n"
        var failing: Set<String> = []
    }

    private let state = Mutex(State())

    var calls: [Call] { state.withLock { $0.calls } }
    var restores: [String] { calls.filter { $0.program == "iptables-restore" }.compactMap(\.input) }
    func setSaved(_ text: String) { state.withLock { $0.saved = text } }
    func setFailing(_ programs: Set<String>) { state.withLock { $0.failing = programs } }

    func run(_ program: String, _ arguments: [String], input: String?) async -> CommandResult {
        state.withLock { s in
            s.calls.append(Call(program: program, arguments: arguments, input: input))
            if s.failing.contains(program) { return CommandResult(status: 1, output: "\(program): line 7 failed\n") }
            if program == "iptables-save" { return CommandResult(status: 0, output: s.saved) }
            return CommandResult(status: 0, output: "")
        }
    }
}
