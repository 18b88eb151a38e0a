

/// The CRI ImageService of a container runtime: list, inspect, pull and remove images. PullImage can take minutes,
/// so callers give it a longer timeout than the default.
public struct RemoteImageService: ImageService {
    public let connection: GRPCConnection

    public init(connection: GRPCConnection) { self.connection = connection }

    public func listImages(_ request: Runtime_V1_ListImagesRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ListImagesResponse {
        try await connection.unary("/runtime.v1.ImageService/ListImages", request, timeout: timeout)
    }
    public func imageStatus(_ request: Runtime_V1_ImageStatusRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ImageStatusResponse {
        try await connection.unary("/runtime.v1.ImageService/ImageStatus", request, timeout: timeout)
    }
    public func pullImage(_ request: Runtime_V1_PullImageRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_PullImageResponse {
        try await connection.unary("/runtime.v1.ImageService/PullImage", request, timeout: timeout)
    }
    public func removeImage(_ request: Runtime_V1_RemoveImageRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_RemoveImageResponse {
        try await connection.unary("/runtime.v1.ImageService/RemoveImage", request, timeout: timeout)
    }
    public func imageFsInfo(_ request: Runtime_V1_ImageFsInfoRequest = .init(), timeout: Duration = .seconds(120)) async throws -> Runtime_V1_ImageFsInfoResponse {
        try await connection.unary("/runtime.v1.ImageService/ImageFsInfo", request, timeout: timeout)
    }
}
