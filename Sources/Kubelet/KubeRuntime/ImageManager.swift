import CRIClient
import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON
import Logging

/// Why a container's image is not there: the waiting reason and message upstream's kubelet reports.
struct ImagePullFailure: Error, Sendable {
    /// `ErrImagePull`, `ImagePullBackOff`, `ErrImageNeverPull` or `InvalidImageName`.
    var reason: String
    var message: String
}

/// Upstream's image manager: applies imagePullPolicy, pulls through the CRI ImageService with the pod's
/// imagePullSecrets, backs off per image after a failed pull (10 s doubling to 5 min), and reports the events
/// upstream reports (Pulling, Pulled, Failed, BackOff, ErrImageNeverPull).
actor ImageManager {
    private let images: any ImageService
    private let logger: Logger
    private var backoff: [String: (until: Date, delay: Double)] = [:]

    init(images: any ImageService, logger: Logger) {
        self.images = images
        self.logger = logger
    }

    /// The policy a container gets when its spec has none: Always for `:latest` or no tag, IfNotPresent otherwise.
    static func pullPolicy(_ container: Container) -> String {
        if let policy = container.imagePullPolicy, !policy.isEmpty { return policy }
        let image = container.image ?? ""
        if image.contains("@") { return "IfNotPresent" }
        let lastComponent = image.split(separator: "/").last.map(String.init) ?? image
        guard let colon = lastComponent.lastIndex(of: ":") else { return "Always" }
        return lastComponent[lastComponent.index(after: colon)...] == "latest" ? "Always" : "IfNotPresent"
    }

    /// Makes sure the image is on the node; returns the runtime's image reference (its ID) for CreateContainer.
    func ensureImage(_ container: Container, pod: KubeletPod, context: RuntimeContext,
                     event: @Sendable (String, String, String) -> Void) async throws(ImagePullFailure) -> String {
        let image = container.image ?? ""
        guard !image.isEmpty, !image.contains(where: { $0.isWhitespace }) else {
            throw ImagePullFailure(reason: "InvalidImageName", message: "Failed to apply default image tag \"\(image)\": couldn't parse image name \"\(image)\": invalid reference format")
        }
        var spec = Runtime_V1_ImageSpec()
        spec.image = image
        let policy = Self.pullPolicy(container)
        let present = await presentImage(spec)
        if let present, policy != "Always" {
            event("Normal", "Pulled", "Container image \"\(image)\" already present on machine")
            return present
        }
        if present == nil, policy == "Never" {
            let message = "Container image \"\(image)\" is not present with pull policy of Never"
            event("Warning", "ErrImageNeverPull", message)
            throw ImagePullFailure(reason: "ErrImageNeverPull", message: message)
        }
        let key = image
        if let wait = backoff[key], wait.until > Date() {
            event("Normal", "BackOff", "Back-off pulling image \"\(image)\"")
            throw ImagePullFailure(reason: "ImagePullBackOff", message: "Back-off pulling image \"\(image)\"")
        }
        event("Normal", "Pulling", "Pulling image \"\(image)\"")
        let started = Date()
        let credentials = await pullCredentials(pod: pod, image: image, context: context)
        var lastError = ""
        for auth in credentials {
            var request = Runtime_V1_PullImageRequest()
            request.image = spec
            if let auth { request.auth = auth }
            request.sandboxConfig.metadata.name = pod.name
            request.sandboxConfig.metadata.namespace = pod.namespace
            request.sandboxConfig.metadata.uid = pod.uid
            do {
                let response = try await images.pullImage(request, timeout: .seconds(600))
                backoff[key] = nil
                let took = Date().timeIntervalSince(started)
                let size = await imageSize(spec)
                let seconds = Self.duration(took)
                event("Normal", "Pulled", "Successfully pulled image \"\(image)\" in \(seconds) (\(seconds) including waiting). Image size: \(size) bytes.")
                return response.imageRef
            } catch {
                lastError = "\(error)"
            }
        }
        let previous = backoff[key]?.delay ?? 0
        let delay = previous == 0 ? 10 : min(previous * 2, 300)
        backoff[key] = (Date().addingTimeInterval(delay), delay)
        let message = "failed to pull and unpack image \"\(image)\": \(lastError)"
        logger.warning("Failed to pull image", metadata: ["image": "\(image)", "err": "\(lastError)"])
        event("Warning", "Failed", "Failed to pull image \"\(image)\": \(lastError)")
        throw ImagePullFailure(reason: "ErrImagePull", message: message)
    }

    private func presentImage(_ spec: Runtime_V1_ImageSpec) async -> String? {
        var request = Runtime_V1_ImageStatusRequest()
        request.image = spec
        guard let response = try? await images.imageStatus(request, timeout: .seconds(30)), response.hasImage,
              !response.image.id.isEmpty else { return nil }
        return response.image.id
    }

    private func imageSize(_ spec: Runtime_V1_ImageSpec) async -> UInt64 {
        var request = Runtime_V1_ImageStatusRequest()
        request.image = spec
        return (try? await images.imageStatus(request, timeout: .seconds(30)))?.image.size ?? 0
    }

    /// Go's time.Duration formatting as upstream's event prints it (`1.234s`, `523ms`).
    static func duration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        let millis = Int((seconds * 1000).rounded())
        var text = "\(millis / 1000).\(String(format3: millis % 1000))"
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + "s"
    }

    /// The credentials to try, in upstream's order: each matching entry of the pod's imagePullSecrets
    /// (`kubernetes.io/dockerconfigjson` or `.dockercfg`), then anonymous.
    private func pullCredentials(pod: KubeletPod, image: String, context: RuntimeContext) async -> [Runtime_V1_AuthConfig?] {
        var out: [Runtime_V1_AuthConfig?] = []
        let registry = Self.registry(of: image)
        if let api = context.api {
            for reference in pod.pod.spec.imagePullSecrets ?? [] {
                guard let name = reference.name, !name.isEmpty else { continue }
                guard let secret = try? await api.get(.secrets, namespace: pod.namespace, name: name) else {
                    logger.warning("Unable to retrieve pull secret, the image pull may not succeed.",
                                   metadata: ["pod": "\(pod.fullName)", "secret": "\(pod.namespace)/\(name)"])
                    continue
                }
                out += Self.auths(in: secret, registry: registry)
            }
        }
        out.append(nil)
        return out
    }

    /// The registry host of an image reference as Docker normalises it (`busybox` → `docker.io`).
    static func registry(of image: String) -> String {
        let parts = image.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return "docker.io" }
        let first = String(parts[0])
        return first.contains(".") || first.contains(":") || first == "localhost" ? first : "docker.io"
    }

    static func auths(in secret: JSONValue, registry: String) -> [Runtime_V1_AuthConfig?] {
        var entries: JSONValue?
        if let encoded = secret[path: ["data", ".dockerconfigjson"]]?.string, let data = Base64.decode(encoded) {
            entries = (try? JSONParser.parse(data))?["auths"]
        } else if let encoded = secret[path: ["data", ".dockercfg"]]?.string, let data = Base64.decode(encoded) {
            entries = try? JSONParser.parse(data)
        }
        guard case .object(let map)? = entries else { return [] }
        var out: [Runtime_V1_AuthConfig?] = []
        for (key, value) in map {
            var host = key
            for prefix in ["https://", "http://"] where host.hasPrefix(prefix) { host = String(host.dropFirst(prefix.count)) }
            host = String(host.split(separator: "/").first ?? "")
            let matches = host == registry || (registry == "docker.io" && (host == "index.docker.io" || host == "registry-1.docker.io"))
            guard matches else { continue }
            var auth = Runtime_V1_AuthConfig()
            auth.serverAddress = key
            if let user = value["username"]?.string { auth.username = user }
            if let password = value["password"]?.string { auth.password = password }
            if let encoded = value["auth"]?.string {
                auth.auth = encoded
                if auth.username.isEmpty, let decoded = Base64.decode(encoded) {
                    let text = String(decoding: decoded, as: UTF8.self)
                    if let colon = text.firstIndex(of: ":") {
                        auth.username = String(text[..<colon])
                        auth.password = String(text[text.index(after: colon)...])
                    }
                }
            }
            out.append(auth)
        }
        return out
    }
}

private extension String {
    init(format3 value: Int) {
        let digits = String(value)
        self = String(repeating: "0", count: Swift.max(0, 3 - digits.count)) + digits
    }
}
