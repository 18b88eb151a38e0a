

/// The CRI RuntimeService of a container runtime (k8s.io/cri-client's remote runtime service): pod sandboxes,
/// containers, exec/attach/port-forward URLs, status. Each call is one unary gRPC call; errors are `GRPCStatus`.
public struct RemoteRuntimeService: RuntimeService {
    public let connection: GRPCConnection

    public init(connection: GRPCConnection) { self.connection = connection }

    public func version(_ request: Runtime_V1_VersionRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_VersionResponse {
        try await connection.unary("/runtime.v1.RuntimeService/Version", request, timeout: timeout)
    }
    public func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_RunPodSandboxResponse {
        try await connection.unary("/runtime.v1.RuntimeService/RunPodSandbox", request, timeout: timeout)
    }
    public func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_StopPodSandboxResponse {
        try await connection.unary("/runtime.v1.RuntimeService/StopPodSandbox", request, timeout: timeout)
    }
    public func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_RemovePodSandboxResponse {
        try await connection.unary("/runtime.v1.RuntimeService/RemovePodSandbox", request, timeout: timeout)
    }
    public func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_PodSandboxStatusResponse {
        try await connection.unary("/runtime.v1.RuntimeService/PodSandboxStatus", request, timeout: timeout)
    }
    public func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ListPodSandboxResponse {
        try await connection.unary("/runtime.v1.RuntimeService/ListPodSandbox", request, timeout: timeout)
    }
    public func createContainer(_ request: Runtime_V1_CreateContainerRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_CreateContainerResponse {
        try await connection.unary("/runtime.v1.RuntimeService/CreateContainer", request, timeout: timeout)
    }
    public func startContainer(_ request: Runtime_V1_StartContainerRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_StartContainerResponse {
        try await connection.unary("/runtime.v1.RuntimeService/StartContainer", request, timeout: timeout)
    }
    public func stopContainer(_ request: Runtime_V1_StopContainerRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_StopContainerResponse {
        try await connection.unary("/runtime.v1.RuntimeService/StopContainer", request, timeout: timeout)
    }
    public func removeContainer(_ request: Runtime_V1_RemoveContainerRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_RemoveContainerResponse {
        try await connection.unary("/runtime.v1.RuntimeService/RemoveContainer", request, timeout: timeout)
    }
    public func listContainers(_ request: Runtime_V1_ListContainersRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ListContainersResponse {
        try await connection.unary("/runtime.v1.RuntimeService/ListContainers", request, timeout: timeout)
    }
    public func containerStatus(_ request: Runtime_V1_ContainerStatusRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ContainerStatusResponse {
        try await connection.unary("/runtime.v1.RuntimeService/ContainerStatus", request, timeout: timeout)
    }
    public func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_UpdateContainerResourcesResponse {
        try await connection.unary("/runtime.v1.RuntimeService/UpdateContainerResources", request, timeout: timeout)
    }
    public func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ReopenContainerLogResponse {
        try await connection.unary("/runtime.v1.RuntimeService/ReopenContainerLog", request, timeout: timeout)
    }
    public func execSync(_ request: Runtime_V1_ExecSyncRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ExecSyncResponse {
        try await connection.unary("/runtime.v1.RuntimeService/ExecSync", request, timeout: timeout)
    }
    public func exec(_ request: Runtime_V1_ExecRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ExecResponse {
        try await connection.unary("/runtime.v1.RuntimeService/Exec", request, timeout: timeout)
    }
    public func attach(_ request: Runtime_V1_AttachRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_AttachResponse {
        try await connection.unary("/runtime.v1.RuntimeService/Attach", request, timeout: timeout)
    }
    public func portForward(_ request: Runtime_V1_PortForwardRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_PortForwardResponse {
        try await connection.unary("/runtime.v1.RuntimeService/PortForward", request, timeout: timeout)
    }
    public func containerStats(_ request: Runtime_V1_ContainerStatsRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ContainerStatsResponse {
        try await connection.unary("/runtime.v1.RuntimeService/ContainerStats", request, timeout: timeout)
    }
    public func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ListContainerStatsResponse {
        try await connection.unary("/runtime.v1.RuntimeService/ListContainerStats", request, timeout: timeout)
    }
    public func status(_ request: Runtime_V1_StatusRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_StatusResponse {
        try await connection.unary("/runtime.v1.RuntimeService/Status", request, timeout: timeout)
    }
}
