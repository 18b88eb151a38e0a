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
    /// One relist of the node's containers per second, which the container supervisors wait on.
    let relister: ContainerRelister

    init(runtime: any RuntimeService, images: ImageManager, runtimeName: String, runtimeVersion: String, endpoint: String,
         logger: Logger = Logger(label: "kubelet.pleg"), relistPeriod: Duration = .seconds(1)) {
        self.runtime = runtime
        self.images = images
        self.runtimeName = runtimeName
        self.runtimeVersion = runtimeVersion
        self.endpoint = endpoint
        self.relister = ContainerRelister(runtime: runtime, period: relistPeriod, logger: logger)
    }

    /// Connects to the runtime at `endpoint` (`unix:///run/containerd/containerd.sock`): its Version answers.
    /// Throws why not, in words for the log (the kubelet tries again every 5 s).
    static func connect(endpoint: String, logger: Logger) async throws(RuntimeUnavailable) -> KubeGenericRuntime {
        guard let path = GRPCConnection.socketPath(fromEndpoint: endpoint) else {
            throw RuntimeUnavailable(description: "--container-runtime-endpoint \(endpoint): expected unix:///path/to/socket")
        }
        guard access(path, F_OK) == 0 else {
            throw RuntimeUnavailable(description: "no container runtime at --container-runtime-endpoint \(endpoint) (\(path) does not exist)")
        }
        let connection = GRPCConnection(socketPath: path)
        let runtime = RemoteRuntimeService(connection: connection)
        do {
            let version = try await runtime.version(.init(), timeout: .seconds(10))
            logger.info("Container runtime initialized", metadata: [
                "containerRuntime": "\(version.runtimeName)", "version": "\(version.runtimeVersion)",
                "apiVersion": "\(version.runtimeApiVersion)", "endpoint": "\(endpoint)",
            ])
            return KubeGenericRuntime(runtime: runtime,
                                      images: ImageManager(images: RemoteImageService(connection: connection), logger: logger),
                                      runtimeName: version.runtimeName, runtimeVersion: version.runtimeVersion, endpoint: endpoint,
                                      logger: logger)
        } catch {
            await connection.close()
            throw RuntimeUnavailable(description: "the container runtime at \(endpoint) does not answer: \(error)")
        }
    }

    /// `containerd://1.6.20` for the Node's status.nodeInfo.containerRuntimeVersion.
    var nodeRuntimeVersion: String { "\(runtimeName)://\(runtimeVersion)" }
}

/// Why the kubelet has no container runtime to talk to (yet).
struct RuntimeUnavailable: Error, CustomStringConvertible {
    let description: String
}
