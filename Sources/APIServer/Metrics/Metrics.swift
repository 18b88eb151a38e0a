import KubeJSON
import Synchronization

/// Prometheus metrics with upstream's names: request counts and latency by verb/resource/code, in-flight
/// requests, registered watchers and storage latency.
public final class Metrics: Sendable {
    struct RequestKey: Hashable {
        var verb: String
        var group: String
        var version: String
        var resource: String
        var subresource: String
        var scope: String
        var code: Int
    }

    struct Histogram {
        static let buckets: [Double] = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60]
        var counts = [Int](repeating: 0, count: Histogram.buckets.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ v: Double) {
            for (i, b) in Histogram.buckets.enumerated() where v <= b { counts[i] += 1 }
            sum += v
            count += 1
        }
    }

    struct State {
        var requests: [RequestKey: Int] = [:]
        var latency: [RequestKey: Histogram] = [:]
        var inflightReadOnly = 0
        var inflightMutating = 0
        var watchers: [String: Int] = [:]
        var storage: [String: Histogram] = [:]
    }

    // Recorded on every request and storage call: a lock, not an actor hop (or a Task per observation).
    private let state = Mutex(State())

    public init() {}

    func begin(mutating: Bool) {
        state.withLock { if mutating { $0.inflightMutating += 1 } else { $0.inflightReadOnly += 1 } }
    }

    func end(mutating: Bool, info: RequestInfo, code: Int, seconds: Double, longRunning: Bool) {
        let scope = !info.isResourceRequest ? "" : (!info.name.isEmpty ? "resource" : (info.namespace.isEmpty ? "cluster" : "namespace"))
        let key = RequestKey(verb: info.isResourceRequest ? info.verb.uppercased() : info.verb.uppercased(),
                             group: info.apiGroup, version: info.apiVersion,
                             resource: info.resource, subresource: info.subresource, scope: scope, code: code)
        state.withLock {
            if mutating { $0.inflightMutating -= 1 } else { $0.inflightReadOnly -= 1 }
            $0.requests[key, default: 0] += 1
            if !longRunning {
                var latencyKey = key
                latencyKey.code = 0
                $0.latency[latencyKey, default: Histogram()].observe(seconds)
            }
        }
    }

    func watchStarted(_ kind: String) { state.withLock { $0.watchers[kind, default: 0] += 1 } }
    func watchEnded(_ kind: String) { state.withLock { $0.watchers[kind, default: 0] -= 1 } }

    public func observeStorage(_ operation: String, seconds: Double) {
        state.withLock { $0.storage[operation, default: Histogram()].observe(seconds) }
    }

    public var activeWatchers: Int { state.withLock { $0.watchers.values.reduce(0, +) } }

    func render() -> String {
        let s = state.withLock { $0 }
        let (requests, latency, watchers, storage) = (s.requests, s.latency, s.watchers, s.storage)
        let (inflightMutating, inflightReadOnly) = (s.inflightMutating, s.inflightReadOnly)
        var out = ""
        func labels(_ k: RequestKey, code: Bool) -> String {
            var l = "component=\"apiserver\",group=\"\(k.group)\",resource=\"\(k.resource)\",scope=\"\(k.scope)\",subresource=\"\(k.subresource)\",verb=\"\(k.verb)\",version=\"\(k.version)\""
            if code { l = "code=\"\(k.code)\"," + l }
            return l
        }
        out += "# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.\n# TYPE apiserver_request_total counter\n"
        for (k, v) in requests.sorted(by: { labels($0.key, code: true) < labels($1.key, code: true) }) {
            out += "apiserver_request_total{\(labels(k, code: true))} \(v)\n"
        }
        out += "# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.\n# TYPE apiserver_request_duration_seconds histogram\n"
        for (k, h) in latency.sorted(by: { labels($0.key, code: false) < labels($1.key, code: false) }) {
            let l = labels(k, code: false)
            for (i, b) in Histogram.buckets.enumerated() {
                out += "apiserver_request_duration_seconds_bucket{\(l),le=\"\(JSONWriter.format(b))\"} \(h.counts[i])\n"
            }
            out += "apiserver_request_duration_seconds_bucket{\(l),le=\"+Inf\"} \(h.count)\n"
            out += "apiserver_request_duration_seconds_sum{\(l)} \(h.sum)\napiserver_request_duration_seconds_count{\(l)} \(h.count)\n"
        }
        out += "# HELP apiserver_current_inflight_requests [STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.\n# TYPE apiserver_current_inflight_requests gauge\n"
        out += "apiserver_current_inflight_requests{request_kind=\"mutating\"} \(inflightMutating)\n"
        out += "apiserver_current_inflight_requests{request_kind=\"readOnly\"} \(inflightReadOnly)\n"
        out += "# HELP apiserver_registered_watchers [ALPHA] Number of currently registered watchers for a given resources\n# TYPE apiserver_registered_watchers gauge\n"
        for (kind, n) in watchers.sorted(by: { $0.key < $1.key }) {
            out += "apiserver_registered_watchers{kind=\"\(kind)\"} \(n)\n"
        }
        out += "# HELP apiserver_longrunning_requests [STABLE] Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component.\n# TYPE apiserver_longrunning_requests gauge\n"
        out += "apiserver_longrunning_requests{component=\"apiserver\",verb=\"WATCH\"} \(watchers.values.reduce(0, +))\n"
        out += "# HELP apiserver_storage_request_duration_seconds Storage request latency in seconds by operation (embedded store or etcd).\n# TYPE apiserver_storage_request_duration_seconds histogram\n"
        for (op, h) in storage.sorted(by: { $0.key < $1.key }) {
            for (i, b) in Histogram.buckets.enumerated() {
                out += "apiserver_storage_request_duration_seconds_bucket{operation=\"\(op)\",le=\"\(JSONWriter.format(b))\"} \(h.counts[i])\n"
            }
            out += "apiserver_storage_request_duration_seconds_bucket{operation=\"\(op)\",le=\"+Inf\"} \(h.count)\n"
            out += "apiserver_storage_request_duration_seconds_sum{operation=\"\(op)\"} \(h.sum)\napiserver_storage_request_duration_seconds_count{operation=\"\(op)\"} \(h.count)\n"
        }
        return out
    }
}
