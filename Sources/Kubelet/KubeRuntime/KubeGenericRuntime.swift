import CRIClient
import FoundationEssentials
import Glibc
import Logging

/// The CRI runtime the kubelet hands pods to (upstream's kubeGenericRuntimeManager): the runtime and image services
/// of `--container-runtime-endpoint`, the runtime's name for container IDs, and the image manager.
struct KubeGenericRuntime: Sendable {
    let runtime: any RuntimeService
    let images: ImageManager
    /// `containerd` — the scheme of container IDs in pod status.
    let runtimeName: String
    let runtimeVersion: String
    let endpoint: String

    /// Connects to the runtime at `endpoint` (`unix:///run/containerd/containerd.sock`). nil, with the reason logged,
    /// when no runtime answers there: the kubelet then runs every pod as host processes.
    static func connect(endpoint: String, logger: Logger, attempts: Int = 10) async -> KubeGenericRuntime? {
        guard let path = GRPCConnection.socketPath(fromEndpoint: endpoint) else {
            logger.error("--container-runtime-endpoint \(endpoint): expected unix:///path/to/socket; running pods as host processes")
            return nil
        }
        guard access(path, F_OK) == 0 else {
            logger.info("no container runtime at --container-runtime-endpoint \(endpoint) (\(path) does not exist); running pods as host processes")
            return nil
        }
        let connection = GRPCConnection(socketPath: path)
        let runtime = RemoteRuntimeService(connection: connection)
        var lastError = ""
        for attempt in 0..<max(1, attempts) {
            do {
                let version = try await runtime.version(.init(), timeout: .seconds(10))
                logger.info("Container runtime initialized", metadata: [
                    "containerRuntime": "\(version.runtimeName)", "version": "\(version.runtimeVersion)",
                    "apiVersion": "\(version.runtimeApiVersion)", "endpoint": "\(endpoint)",
                ])
                return KubeGenericRuntime(runtime: runtime,
                                          images: ImageManager(images: RemoteImageService(connection: connection), logger: logger),
                                          runtimeName: version.runtimeName, runtimeVersion: version.runtimeVersion, endpoint: endpoint)
            } catch {
                lastError = "\(error)"
                if attempt + 1 < attempts { try? await Task.sleep(for: .seconds(1)) }
            }
        }
        logger.error("the container runtime at \(endpoint) does not answer (\(lastError)); running pods as host processes")
        return nil
    }

    /// `containerd://1.6.20` for the Node's status.nodeInfo.containerRuntimeVersion.
    var nodeRuntimeVersion: String { "\(runtimeName)://\(runtimeVersion)" }
}
