import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import KubeYAML
import Logging

/// The pods the API binds to this node (upstream's apiserver pod source, a reflector): listed with
/// `spec.nodeName=<node>`, then watched from that list's resourceVersion; mirror pods (the static pods' own
/// reflections) are left out. After every change the whole set goes to `onChange`. A watch that ends, or whose
/// connection is lost, is started again from the last resourceVersion seen (bookmarks included), so an apiserver
/// restart costs no relist; only a version the server no longer has (410 Gone) or a refused list or watch (an
/// error status) leads to a new list.
struct APIServerPodSource: Sendable {
    let client: any KubernetesClient
    let nodeName: String
    let logger: Logger

    func run(onChange: @Sendable ([String: JSONValue]) async -> Void) async {
        let selector = ListOptions(fieldSelector: "spec.nodeName=\(nodeName)")
        var delay = 0.2
        var pods: [String: JSONValue] = [:]
        var version: String?   // nil: list first
        while !Task.isCancelled {
            do {
                if version == nil {
                    let list = try await client.list(.pods, namespace: nil, options: selector)
                    pods = [:]
                    for item in list.items where Self.isAPIPod(item) { pods[item.metaUID] = item }
                    await onChange(pods)
                    version = list.resourceVersion
                    delay = 0.2
                }
                var options = selector
                options.resourceVersion = version
                options.allowWatchBookmarks = true
                // The reflector's 5 to 10 minutes, spread so that many kubelets do not come back at once.
                options.timeoutSeconds = Int.random(in: 300..<600)
                let events = try await client.watch(.pods, namespace: nil, options: options)
                var received = false
                for try await event in events {
                    received = true
                    delay = 0.2
                    if let seen = event.object[path: ["metadata", "resourceVersion"]]?.string, !seen.isEmpty { version = seen }
                    switch event.type {
                    case .added, .modified:
                        guard Self.isAPIPod(event.object) else { continue }
                        pods[event.object.metaUID] = event.object
                    case .deleted:
                        pods[event.object.metaUID] = nil
                    case .bookmark, .error:
                        continue
                    }
                    await onChange(pods)
                }
                logger.debug("watch of the pods bound to this node ended; watching again", metadata: ["resourceVersion": "\(version ?? "")"])
                // A server that ends every watch at once (shutting down) is not asked again in a tight loop.
                if !received {
                    try? await Task.sleep(for: .seconds(delay))
                    delay = min(delay * 2, 7)
                }
            } catch {
                if Task.isCancelled { return }
                if let status = error as? APIError {
                    // An answer, not a lost connection: the version is gone, or the list or watch was refused.
                    version = nil
                    if status.isGone {
                        logger.debug("watch of the pods bound to this node is too old: \(status); listing again")
                        continue
                    }
                }
                logger.debug("watch of the pods bound to this node ended: \(error); \(version == nil ? "listing" : "watching") again in \(oneDecimal(delay))s")
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 7)
            }
        }
    }

    static func isAPIPod(_ pod: JSONValue) -> Bool {
        pod[path: ["metadata", "annotations", KubeletPod.mirrorAnnotation]] == nil
    }

    /// An API pod as the kubelet runs it, or why it cannot be read.
    static func kubeletPod(_ json: JSONValue) -> Result<KubeletPod, PodRejection> {
        var object = json
        object["status"] = nil
        object[path: ["metadata", "managedFields"]] = nil
        let pod: Pod
        do {
            guard let node = try YAMLParser.document(JSONWriter.string(object)) else {
                return .failure(PodRejection(reason: "InvalidPod", message: "the pod is empty"))
            }
            pod = try StrictYAMLDecoder(fileName: "pod \(json.metaNamespace)/\(json.metaName)").decodeCollectingUnknownFields(Pod.self, from: node).0
        } catch {
            return .failure(PodRejection(reason: "InvalidPod", message: "\(error)"))
        }
        return .success(KubeletPod(pod: pod, uid: json.metaUID, sourcePath: "", source: .api))
    }

    /// Why a pod cannot run as host processes: a container without a command has only its image's entrypoint,
    /// which a host process does not have. The container runtime runs such a pod.
    static func hostProcessRejection(_ kpod: KubeletPod) -> PodRejection? {
        guard let (field, container) = kpod.pod.spec.containersWithoutCommandLine.first else { return nil }
        return PodRejection(
            reason: "CreateContainerConfigError", container: container.name,
            message: "\(field): command or args is required: this pod runs as host processes (runtimeClassName host-process, or the kubelet has no --container-runtime-endpoint), which have no image (\(container.image ?? "none")) entrypoint to fall back on")
    }
}

/// Why an API pod does not run on this node; reported in its status.
struct PodRejection: Error, Sendable, Equatable {
    var reason: String
    var container: String?
    var message: String
}
