import FoundationEssentials
import KubeAPI
import KubeJSON
import KubeYAML
import Logging

/// The pods the API binds to this node (upstream's apiserver pod source): listed with `spec.nodeName=<node>`, then
/// watched from that list's resourceVersion; mirror pods (the static pods' own reflections) are left out. After
/// every change the whole set goes to `onChange`. A watch that ends or fails is followed by a new list.
struct APIServerPodSource: Sendable {
    let client: APIServerClient
    let nodeName: String
    let logger: Logger

    func run(onChange: @Sendable ([String: JSONValue]) async -> Void) async {
        var delay = 0.2
        while !Task.isCancelled {
            do {
                let selector = "spec.nodeName%3D\(nodeName)"
                let list = try await client.call("GET", "/api/v1/pods?fieldSelector=\(selector)")
                var pods: [String: JSONValue] = [:]
                for item in list["items"]?.array ?? [] where Self.isAPIPod(item) { pods[item.metaUID] = item }
                await onChange(pods)
                delay = 0.2
                let version = list[path: ["metadata", "resourceVersion"]]?.string ?? ""
                let watch = try await client.http.stream(
                    "/api/v1/pods?fieldSelector=\(selector)&watch=1&allowWatchBookmarks=true&resourceVersion=\(version)",
                    headers: [("accept", "application/json")])
                guard (200..<300).contains(watch.status) else {
                    throw APIServerClient.Failure(status: watch.status, message: "watch of this node's pods refused")
                }
                var buffer: [UInt8] = []
                for try await chunk in watch.body {
                    buffer += chunk
                    var changed = false
                    while let newline = buffer.firstIndex(of: 10) {
                        let line = Array(buffer[..<newline])
                        buffer.removeSubrange(...newline)
                        guard let event = try? JSONParser.parse(line), let object = event["object"] else { continue }
                        switch event["type"]?.string {
                        case "ADDED", "MODIFIED":
                            if Self.isAPIPod(object) { pods[object.metaUID] = object; changed = true }
                        case "DELETED":
                            pods[object.metaUID] = nil
                            changed = true
                        case "ERROR":
                            throw APIServerClient.Failure(status: Int(object["code"]?.int ?? 500), message: object["message"]?.string ?? "watch error")
                        default:
                            break
                        }
                    }
                    if changed { await onChange(pods) }
                }
            } catch {
                if Task.isCancelled { return }
                logger.debug("watch of the pods bound to this node ended: \(error); listing again")
                try? await Task.sleep(for: .seconds(delay))
                delay = min(delay * 2, 7)
            }
        }
    }

    static func isAPIPod(_ pod: JSONValue) -> Bool {
        pod[path: ["metadata", "annotations", KubeletPod.mirrorAnnotation]] == nil
    }

    /// An API pod as the kubelet runs it, or why it cannot run here: Kubestrap has no images, only commands.
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
        for (i, container) in ((pod.spec.initContainers ?? []) + pod.spec.containers).enumerated() where !container.hasCommandLine {
            let isInit = i < (pod.spec.initContainers?.count ?? 0)
            let index = isInit ? i : i - (pod.spec.initContainers?.count ?? 0)
            return .failure(PodRejection(
                reason: "CreateContainerConfigError", container: container.name,
                message: "spec.\(isInit ? "initContainers" : "containers")[\(index)]: command or args is required: Kubestrap runs containers as host processes and has no image (\(container.image ?? "none")) entrypoint to fall back on"))
        }
        return .success(KubeletPod(pod: pod, uid: json.metaUID, sourcePath: "", source: .api))
    }
}

/// Why an API pod does not run on this node; reported in its status.
struct PodRejection: Error, Sendable, Equatable {
    var reason: String
    var container: String?
    var message: String
}
