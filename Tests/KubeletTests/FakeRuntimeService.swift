import CRIClient
import Foundation
@testable import Kubelet

/// An in-memory CRI runtime (upstream's FakeRuntimeService + FakeImageService): records calls, runs nothing.
/// Tests make containers exit with `exit(_:code:reason:)`.
actor FakeRuntimeService: RuntimeService, ImageService {
    struct Sandbox { var config: Runtime_V1_PodSandboxConfig; var state: Runtime_V1_PodSandboxState; var ip: String; var created: Int64 }
    struct Box { var sandboxID: String; var config: Runtime_V1_ContainerConfig; var status: Runtime_V1_ContainerStatus }

    private(set) var sandboxes: [String: Sandbox] = [:]
    private(set) var containers: [String: Box] = [:]
    private(set) var calls: [String] = []
    var images: Set<String> = ["docker.io/library/busybox:1.36"]
    var pullError: GRPCStatus?
    /// The next RunPodSandbox fails as containerd's does when CNI fails: a NotReady sandbox stays, holding its name.
    var failNextSandbox = false
    private var next = 0
    private var clock: Int64 = 1_700_000_000_000_000_000

    private func newID() -> String { next += 1; return String(format: "%064x", next) }
    private func tick() -> Int64 { clock += 1_000_000; return clock }

    func setImages(_ names: Set<String>) { images = names }
    func setPullError(_ error: GRPCStatus?) { pullError = error }
    func failNextRunPodSandbox() { failNextSandbox = true }
    func containers(named name: String) -> [Box] {
        containers.values.filter { $0.config.metadata.name == name }.sorted { $0.config.metadata.attempt < $1.config.metadata.attempt }
    }
    func count(_ call: String) -> Int { calls.filter { $0 == call }.count }

    /// The sandbox's pause process dies: the sandbox is NotReady, its containers run on.
    func killSandbox(_ id: String) { sandboxes[id]?.state = .sandboxNotready }

    /// The container ends as the runtime reports it (OOMKilled with 137, Completed with 0…).
    func exit(_ id: String, code: Int32, reason: String) {
        containers[id]?.status.state = .containerExited
        containers[id]?.status.exitCode = code
        containers[id]?.status.reason = reason
        containers[id]?.status.finishedAt = tick()
    }

    func version(_ request: Runtime_V1_VersionRequest, timeout: Duration) async throws -> Runtime_V1_VersionResponse {
        var r = Runtime_V1_VersionResponse()
        r.runtimeName = "fakeruntime"; r.runtimeVersion = "0.1"; r.runtimeApiVersion = "v1"
        return r
    }
    func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_RunPodSandboxResponse {
        calls.append("RunPodSandbox")
        let name = "\(request.config.metadata.name)_\(request.config.metadata.namespace)_\(request.config.metadata.uid)_\(request.config.metadata.attempt)"
        if sandboxes.values.contains(where: { "\($0.config.metadata.name)_\($0.config.metadata.namespace)_\($0.config.metadata.uid)_\($0.config.metadata.attempt)" == name }) {
            throw GRPCStatus(code: .unknown, message: "failed to reserve sandbox name \"\(name)\": name is reserved")
        }
        let id = newID()
        if failNextSandbox {
            failNextSandbox = false
            sandboxes[id] = Sandbox(config: request.config, state: .sandboxNotready, ip: "", created: tick())
            throw GRPCStatus(code: .unknown, message: "failed to setup network for sandbox \"\(id)\": cni plugin not initialized")
        }
        sandboxes[id] = Sandbox(config: request.config, state: .sandboxReady, ip: "10.244.0.\(sandboxes.count + 2)", created: tick())
        var r = Runtime_V1_RunPodSandboxResponse(); r.podSandboxID = id
        return r
    }
    func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_StopPodSandboxResponse {
        calls.append("StopPodSandbox")
        sandboxes[request.podSandboxID]?.state = .sandboxNotready
        for (id, box) in containers where box.sandboxID == request.podSandboxID && box.status.state == .containerRunning {
            exit(id, code: 137, reason: "Error")
        }
        return .init()
    }
    func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_RemovePodSandboxResponse {
        calls.append("RemovePodSandbox")
        sandboxes[request.podSandboxID] = nil
        containers = containers.filter { $0.value.sandboxID != request.podSandboxID }
        return .init()
    }
    func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest, timeout: Duration) async throws -> Runtime_V1_PodSandboxStatusResponse {
        guard let sandbox = sandboxes[request.podSandboxID] else { throw GRPCStatus(code: .notFound, message: "sandbox not found") }
        var r = Runtime_V1_PodSandboxStatusResponse()
        r.status.id = request.podSandboxID
        r.status.state = sandbox.state
        r.status.network.ip = sandbox.ip
        return r
    }
    func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_ListPodSandboxResponse {
        var r = Runtime_V1_ListPodSandboxResponse()
        r.items = sandboxes.map { id, s in
            var item = Runtime_V1_PodSandbox()
            item.id = id; item.metadata = s.config.metadata; item.state = s.state; item.labels = s.config.labels; item.createdAt = s.created
            return item
        }
        return r
    }
    func createContainer(_ request: Runtime_V1_CreateContainerRequest, timeout: Duration) async throws -> Runtime_V1_CreateContainerResponse {
        calls.append("CreateContainer")
        guard sandboxes[request.podSandboxID] != nil else { throw GRPCStatus(code: .notFound, message: "sandbox not found") }
        let id = newID()
        var status = Runtime_V1_ContainerStatus()
        status.id = id; status.metadata = request.config.metadata; status.state = .containerCreated
        status.imageRef = "docker.io/library/busybox@sha256:feed"; status.createdAt = tick()
        containers[id] = Box(sandboxID: request.podSandboxID, config: request.config, status: status)
        var r = Runtime_V1_CreateContainerResponse(); r.containerID = id
        return r
    }
    func startContainer(_ request: Runtime_V1_StartContainerRequest, timeout: Duration) async throws -> Runtime_V1_StartContainerResponse {
        calls.append("StartContainer")
        containers[request.containerID]?.status.state = .containerRunning
        containers[request.containerID]?.status.startedAt = tick()
        return .init()
    }
    func stopContainer(_ request: Runtime_V1_StopContainerRequest, timeout: Duration) async throws -> Runtime_V1_StopContainerResponse {
        calls.append("StopContainer")
        if containers[request.containerID]?.status.state == .containerRunning { exit(request.containerID, code: 143, reason: "Error") }
        return .init()
    }
    func removeContainer(_ request: Runtime_V1_RemoveContainerRequest, timeout: Duration) async throws -> Runtime_V1_RemoveContainerResponse {
        calls.append("RemoveContainer")
        containers[request.containerID] = nil
        return .init()
    }
    func listContainers(_ request: Runtime_V1_ListContainersRequest, timeout: Duration) async throws -> Runtime_V1_ListContainersResponse {
        calls.append("ListContainers")
        var r = Runtime_V1_ListContainersResponse()
        r.containers = containers.map { id, box in
            var c = Runtime_V1_Container()
            c.id = id; c.podSandboxID = box.sandboxID; c.metadata = box.config.metadata; c.state = box.status.state
            c.labels = box.config.labels; c.annotations = box.config.annotations; c.createdAt = box.status.createdAt
            return c
        }
        return r
    }
    func containerStatus(_ request: Runtime_V1_ContainerStatusRequest, timeout: Duration) async throws -> Runtime_V1_ContainerStatusResponse {
        calls.append("ContainerStatus")
        guard let box = containers[request.containerID] else { throw GRPCStatus(code: .notFound, message: "container not found") }
        var r = Runtime_V1_ContainerStatusResponse(); r.status = box.status
        return r
    }
    func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest, timeout: Duration) async throws -> Runtime_V1_UpdateContainerResourcesResponse { .init() }
    func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest, timeout: Duration) async throws -> Runtime_V1_ReopenContainerLogResponse { .init() }
    func execSync(_ request: Runtime_V1_ExecSyncRequest, timeout: Duration) async throws -> Runtime_V1_ExecSyncResponse {
        calls.append("ExecSync")
        var r = Runtime_V1_ExecSyncResponse()
        r.exitCode = request.cmd.last == "fail" ? 1 : 0
        return r
    }
    func exec(_ request: Runtime_V1_ExecRequest, timeout: Duration) async throws -> Runtime_V1_ExecResponse { .init() }
    func attach(_ request: Runtime_V1_AttachRequest, timeout: Duration) async throws -> Runtime_V1_AttachResponse { .init() }
    func portForward(_ request: Runtime_V1_PortForwardRequest, timeout: Duration) async throws -> Runtime_V1_PortForwardResponse { .init() }
    func containerStats(_ request: Runtime_V1_ContainerStatsRequest, timeout: Duration) async throws -> Runtime_V1_ContainerStatsResponse { .init() }
    func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest, timeout: Duration) async throws -> Runtime_V1_ListContainerStatsResponse { .init() }
    func status(_ request: Runtime_V1_StatusRequest, timeout: Duration) async throws -> Runtime_V1_StatusResponse {
        var r = Runtime_V1_StatusResponse()
        for type in ["RuntimeReady", "NetworkReady"] {
            var c = Runtime_V1_RuntimeCondition()
            c.type = type
            c.status = true
            r.status.conditions.append(c)
        }
        return r
    }

    func listImages(_ request: Runtime_V1_ListImagesRequest, timeout: Duration) async throws -> Runtime_V1_ListImagesResponse { .init() }
    func imageStatus(_ request: Runtime_V1_ImageStatusRequest, timeout: Duration) async throws -> Runtime_V1_ImageStatusResponse {
        var r = Runtime_V1_ImageStatusResponse()
        if images.contains(Self.normalize(request.image.image)) {
            r.image.id = "sha256:" + String(Self.normalize(request.image.image).hashValue, radix: 16)
            r.image.size = 1024
        }
        return r
    }
    func pullImage(_ request: Runtime_V1_PullImageRequest, timeout: Duration) async throws -> Runtime_V1_PullImageResponse {
        calls.append("PullImage")
        if let pullError { throw pullError }
        images.insert(Self.normalize(request.image.image))
        var r = Runtime_V1_PullImageResponse(); r.imageRef = "sha256:pulled"
        return r
    }
    func removeImage(_ request: Runtime_V1_RemoveImageRequest, timeout: Duration) async throws -> Runtime_V1_RemoveImageResponse { .init() }
    func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest, timeout: Duration) async throws -> Runtime_V1_ImageFsInfoResponse { .init() }

    /// `busybox:1.36` → `docker.io/library/busybox:1.36`, as containerd normalises names.
    static func normalize(_ image: String) -> String {
        let parts = image.split(separator: "/", maxSplits: 1)
        if parts.count == 1 { return "docker.io/library/" + image }
        let host = parts[0]
        return host.contains(".") || host.contains(":") ? image : "docker.io/" + image
    }
}
