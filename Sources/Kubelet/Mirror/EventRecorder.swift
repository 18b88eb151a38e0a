import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Posts the runtime's events (Created, Started, Killing, BackOff, Unhealthy, Failed) as core/v1 Events about the
/// mirror pod, so `kubectl describe pod` and `kubectl get events` tell what happened. As upstream, the
/// involved object's UID is the static pod's (the config hash), which kubectl describe looks up for mirror pods. Events raised before the
/// mirror exists (the apiserver the kubelet is starting) wait, up to a bound, and are posted once it does.
actor EventRecorder {
    let client: any KubernetesClient
    let nodeName: String
    let mirrors: MirrorClient
    let apiPods: APIPodStatusReporter?
    let logger: Logger
    private var pending: [(PodEvent, Date)] = []
    static let maxPending = 500
    /// Events already written, by what makes them the same (client-go's EventCorrelator): a repeat within ten minutes
    /// raises the count of the one written (`kubectl describe` shows `x3 over 30s`) instead of adding another.
    private var written: [String: (namespace: String, name: String, count: Int64, at: Date)] = [:]

    init(client: any KubernetesClient, nodeName: String, mirrors: MirrorClient, apiPods: APIPodStatusReporter? = nil, logger: Logger) {
        self.client = client
        self.nodeName = nodeName
        self.mirrors = mirrors
        self.apiPods = apiPods
        self.logger = logger
    }

    func record(_ event: PodEvent) {
        pending.append((event, Date()))
        if pending.count > Self.maxPending { pending.removeFirst(pending.count - Self.maxPending) }
    }

    /// Posts what can be posted; keeps the rest for the next call.
    func flush() async {
        var kept: [(PodEvent, Date)] = []
        for (event, time) in pending {
            // A static pod's events are about its mirror; an API pod's about itself.
            var target = await mirrors.mirror(forStaticPod: event.podUID)
            if target == nil { target = await apiPods?.pod(forUID: event.podUID) }
            guard let mirror = target else {
                kept.append((event, time))
                continue
            }
            let stamp = RFC3339.format(time.timeIntervalSince1970)
            let nanos = UInt64(max(0, min(time.timeIntervalSince1970, 1e10)) * 1e9)
            let key = [mirror.namespace, mirror.name, event.podUID, event.container, event.type, event.reason, event.message]
                .joined(separator: "\u{0}")
            if var seen = written[key], time.timeIntervalSince(seen.at) < 600 {
                do {
                    _ = try await client.patch(.events, namespace: seen.namespace, name: seen.name, type: .merge,
                                               body: ["count": .int(seen.count + 1), "lastTimestamp": .string(stamp)], subresource: nil)
                    seen.count += 1
                    seen.at = time
                    written[key] = seen
                    continue
                } catch let failure as APIError where failure.isNotFound {
                    written[key] = nil   // Expired or deleted meanwhile: written anew below.
                } catch {
                    logger.debug("could not update event, will retry: \(error)")
                    kept.append((event, time))
                    continue
                }
            }
            var involved: JSONValue = ["apiVersion": "v1", "kind": "Pod", "name": .string(mirror.name), "namespace": .string(mirror.namespace),
                                       "uid": .string(event.podUID)]
            // An event about the pod itself (no container) has no fieldPath, as upstream's recorder.Eventf(pod, …).
            if !event.container.isEmpty {
                involved["fieldPath"] = .string(event.fieldPath)
            }
            let body: JSONValue = [
                "apiVersion": "v1", "kind": "Event",
                "metadata": ["name": .string("\(mirror.name).\(String(nanos, radix: 16))"), "namespace": .string(mirror.namespace)],
                "involvedObject": involved,
                "reason": .string(event.reason), "message": .string(event.message), "type": .string(event.type),
                "source": ["component": "kubelet", "host": .string(nodeName)],
                "firstTimestamp": .string(stamp), "lastTimestamp": .string(stamp), "count": 1,
                "reportingComponent": "kubelet", "reportingInstance": .string(nodeName),
            ]
            do {
                _ = try await client.create(.events, namespace: mirror.namespace, body)
                if written.count >= 4096 { written = written.filter { time.timeIntervalSince($0.value.at) < 600 } }
                if written.count >= 4096 { written = [:] }
                written[key] = (mirror.namespace, "\(mirror.name).\(String(nanos, radix: 16))", 1, time)
            } catch {
                logger.debug("could not post event, will retry: \(error)")
                kept.append((event, time))
            }
        }
        pending = kept
    }
}
