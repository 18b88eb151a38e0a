import FoundationEssentials
import Glibc
import KubeAPI
import KubeYAML

/// A pod as the kubelet runs it. A static pod comes from a manifest file, with the identity upstream's kubelet gives
/// it: name `<name>-<node>`, a UID (also the `kubernetes.io/config.hash` annotation) derived from the node, the file
/// path and the content, and the `kubernetes.io/config.source`/`config.seen` annotations. A pod of the API (bound to
/// this node by the scheduler) keeps its own name and UID.
public struct KubeletPod: Sendable, Equatable {
    public enum Source: String, Sendable { case file, api }

    public var pod: Pod
    public var uid: String
    /// The manifest file of a static pod; empty for an API pod.
    public var sourcePath: String
    public var source: Source

    public init(pod: Pod, uid: String, sourcePath: String, source: Source = .file) {
        self.pod = pod
        self.uid = uid
        self.sourcePath = sourcePath
        self.source = source
    }

    public var isStatic: Bool { source == .file }

    public var name: String { pod.metadata.name ?? "" }
    public var namespace: String { pod.metadata.namespace ?? "default" }
    /// `<name>_<namespace>`, the key upstream uses for static pods.
    public var fullName: String { "\(name)_\(namespace)" }
    public var restartPolicy: String { pod.spec.restartPolicy ?? "Always" }

    public static let hashAnnotation = "kubernetes.io/config.hash"
    public static let sourceAnnotation = "kubernetes.io/config.source"
    public static let seenAnnotation = "kubernetes.io/config.seen"
    public static let mirrorAnnotation = "kubernetes.io/config.mirror"
}

/// Why a manifest file was not turned into a pod.
public struct ManifestError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let reason: String
    public var description: String { "\(path): \(reason)" }
}

public enum StaticPodParser {
    /// Parses a YAML or JSON manifest into a defaulted, validated static pod.
    /// Returns the pod and the warnings about it (unknown fields).
    public static func parse(path: String, text: String, nodeName: String, seen: Date = Date()) throws(ManifestError) -> (KubeletPod, [String]) {
        let documents: [YAMLDocument]
        do { documents = try YAMLDocuments.split(text, fileName: path) } catch {
            throw ManifestError(path: path, reason: "\(error)")
        }
        guard let document = documents.first else { throw ManifestError(path: path, reason: "the file holds no object") }
        if documents.count > 1 {
            throw ManifestError(path: path, reason: "the file holds \(documents.count) documents; a static pod manifest holds exactly one Pod")
        }
        guard document.kind == "Pod", document.apiVersion == "v1" else {
            throw ManifestError(path: path, reason: "expected apiVersion v1 and kind Pod, found apiVersion \(document.apiVersion ?? "<none>") and kind \(document.kind ?? "<none>")")
        }
        var pod: Pod
        var warnings: [String] = []
        do {
            let (decoded, unknown) = try StrictYAMLDecoder(fileName: path).decodeCollectingUnknownFields(Pod.self, from: document.node)
            pod = decoded
            warnings += unknown.map { "unknown field \"\($0)\" is ignored" }
        } catch {
            throw ManifestError(path: path, reason: "\(error)")
        }
        let node = nodeName.lowercased()
        let uid = identity(of: pod, path: path, nodeName: node)

        if let name = pod.metadata.name, !name.isEmpty { pod.metadata.name = "\(name)-\(node)" }
        PodDefaults.apply(&pod)
        pod.metadata.uid = uid
        var annotations = pod.metadata.annotations ?? [:]
        annotations[KubeletPod.hashAnnotation] = uid
        annotations[KubeletPod.sourceAnnotation] = "file"
        annotations[KubeletPod.seenAnnotation] = RFC3339.formatNano(seen)
        pod.metadata.annotations = annotations
        pod.spec.nodeName = node
        var tolerations = pod.spec.tolerations ?? []
        if !tolerations.contains(where: { $0.operator == "Exists" && $0.effect == "NoExecute" && $0.key == nil }) {
            tolerations.append(Toleration(key: nil, operator: "Exists", value: nil, effect: "NoExecute", tolerationSeconds: nil))
        }
        pod.spec.tolerations = tolerations

        var problems = PodValidation.validate(pod).map(\.description)
        for (field, _) in pod.spec.containersWithoutCommandLine {
            problems.append("\(field).command: Required value: Kubestrap runs containers as host processes and has no image entrypoint to fall back on (args alone are run as the command line, as for an image without ENTRYPOINT)")
        }
        if !problems.isEmpty {
            throw ManifestError(path: path, reason: "invalid pod: " + problems.joined(separator: "; "))
        }
        return (KubeletPod(pod: pod, uid: uid, sourcePath: path), warnings)
    }

    /// md5 over the pod as written plus `host:<node>` and `file:<path>`, hex-encoded, as upstream's applyDefaults.
    static func identity(of pod: Pod, path: String, nodeName: String) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = (try? encoder.encode(pod)) ?? Data()
        bytes.append(contentsOf: Array("host:\(nodeName)".utf8))
        bytes.append(contentsOf: Array("file:\(path)".utf8))
        return Hex.encode(MD5.hash(bytes))
    }
}

extension Container {
    /// What a host process can run: `command` + `args`, or `args` alone as an image without ENTRYPOINT would run them.
    var hasCommandLine: Bool { !(command ?? []).isEmpty || !(args ?? []).isEmpty }
}

extension PodSpec {
    /// The init containers and containers a host process cannot run, with their field paths (`spec.containers[1]`).
    var containersWithoutCommandLine: [(field: String, container: Container)] {
        let initial = (initContainers ?? []).enumerated().map { ("spec.initContainers[\($0.offset)]", $0.element) }
        let regular = containers.enumerated().map { ("spec.containers[\($0.offset)]", $0.element) }
        return (initial + regular).filter { !$0.1.hasCommandLine }
    }
}
