/// What the kubelet needs of a CRI RuntimeService (upstream's internalapi.RuntimeService); `RemoteRuntimeService` speaks it over gRPC,
/// tests use a fake.
public protocol RuntimeService: Sendable {
    func version(_ request: Runtime_V1_VersionRequest, timeout: Duration) async throws -> Runtime_V1_VersionResponse
    func runPodSandbox(_ request: Runtime_V1_RunPodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_RunPodSandboxResponse
    func stopPodSandbox(_ request: Runtime_V1_StopPodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_StopPodSandboxResponse
    func removePodSandbox(_ request: Runtime_V1_RemovePodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_RemovePodSandboxResponse
    func podSandboxStatus(_ request: Runtime_V1_PodSandboxStatusRequest, timeout: Duration) async throws -> Runtime_V1_PodSandboxStatusResponse
    func listPodSandbox(_ request: Runtime_V1_ListPodSandboxRequest, timeout: Duration) async throws -> Runtime_V1_ListPodSandboxResponse
    func createContainer(_ request: Runtime_V1_CreateContainerRequest, timeout: Duration) async throws -> Runtime_V1_CreateContainerResponse
    func startContainer(_ request: Runtime_V1_StartContainerRequest, timeout: Duration) async throws -> Runtime_V1_StartContainerResponse
    func stopContainer(_ request: Runtime_V1_StopContainerRequest, timeout: Duration) async throws -> Runtime_V1_StopContainerResponse
    func removeContainer(_ request: Runtime_V1_RemoveContainerRequest, timeout: Duration) async throws -> Runtime_V1_RemoveContainerResponse
    func listContainers(_ request: Runtime_V1_ListContainersRequest, timeout: Duration) async throws -> Runtime_V1_ListContainersResponse
    func containerStatus(_ request: Runtime_V1_ContainerStatusRequest, timeout: Duration) async throws -> Runtime_V1_ContainerStatusResponse
    func updateContainerResources(_ request: Runtime_V1_UpdateContainerResourcesRequest, timeout: Duration) async throws -> Runtime_V1_UpdateContainerResourcesResponse
    func reopenContainerLog(_ request: Runtime_V1_ReopenContainerLogRequest, timeout: Duration) async throws -> Runtime_V1_ReopenContainerLogResponse
    func execSync(_ request: Runtime_V1_ExecSyncRequest, timeout: Duration) async throws -> Runtime_V1_ExecSyncResponse
    func exec(_ request: Runtime_V1_ExecRequest, timeout: Duration) async throws -> Runtime_V1_ExecResponse
    func attach(_ request: Runtime_V1_AttachRequest, timeout: Duration) async throws -> Runtime_V1_AttachResponse
    func portForward(_ request: Runtime_V1_PortForwardRequest, timeout: Duration) async throws -> Runtime_V1_PortForwardResponse
    func containerStats(_ request: Runtime_V1_ContainerStatsRequest, timeout: Duration) async throws -> Runtime_V1_ContainerStatsResponse
    func listContainerStats(_ request: Runtime_V1_ListContainerStatsRequest, timeout: Duration) async throws -> Runtime_V1_ListContainerStatsResponse
    func status(_ request: Runtime_V1_StatusRequest, timeout: Duration) async throws -> Runtime_V1_StatusResponse
}
