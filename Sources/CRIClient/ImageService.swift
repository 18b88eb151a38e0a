/// What the kubelet needs of a CRI ImageService (upstream's internalapi.ImageService); `RemoteImageService` speaks it over gRPC,
/// tests use a fake.
public protocol ImageService: Sendable {
    func listImages(_ request: Runtime_V1_ListImagesRequest, timeout: Duration) async throws -> Runtime_V1_ListImagesResponse
    func imageStatus(_ request: Runtime_V1_ImageStatusRequest, timeout: Duration) async throws -> Runtime_V1_ImageStatusResponse
    func pullImage(_ request: Runtime_V1_PullImageRequest, timeout: Duration) async throws -> Runtime_V1_PullImageResponse
    func removeImage(_ request: Runtime_V1_RemoveImageRequest, timeout: Duration) async throws -> Runtime_V1_RemoveImageResponse
    func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest, timeout: Duration) async throws -> Runtime_V1_ImageFsInfoResponse
}
