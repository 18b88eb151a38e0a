/// One HTTP exchange with the API server. `RESTClient` speaks Kubernetes over it; the HTTP/2 connection is the
/// real one, and tests may hand requests to an in-process server instead.
public protocol APITransport: Sendable {
    func send(_ request: TransportRequest) async throws -> TransportResponse
    /// The response body as it arrives (watches). Cancelling the consumer ends the exchange.
    func stream(_ request: TransportRequest) async throws -> TransportStream
}

public struct TransportRequest: Sendable {
    public var method: String
    /// Path and query.
    public var uri: String
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, uri: String, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.headers = headers
        self.body = body
    }
}

public struct TransportResponse: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

public struct TransportStream: Sendable {
    public var status: Int
    /// The whole body when the status is not 2xx (an error Status), else empty.
    public var errorBody: [UInt8]
    public var chunks: AsyncThrowingStream<[UInt8], any Error>

    public init(status: Int, errorBody: [UInt8], chunks: AsyncThrowingStream<[UInt8], any Error>) {
        self.status = status
        self.errorBody = errorBody
        self.chunks = chunks
    }
}

public struct TransportError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
