import NIOHTTP1

/// A gRPC status: the `grpc-status` and `grpc-message` a server ends a call with. Its description reads as
/// grpc-go's (`rpc error: code = NotFound desc = …`), which is how upstream's kubelet quotes runtime errors in pod
/// status and events.
public struct GRPCStatus: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: Int, Sendable {
        case ok = 0, cancelled, unknown, invalidArgument, deadlineExceeded, notFound, alreadyExists, permissionDenied,
             resourceExhausted, failedPrecondition, aborted, outOfRange, unimplemented, `internal`, unavailable, dataLoss,
             unauthenticated

        var name: String {
            switch self {
            case .ok: "OK"
            case .cancelled: "Canceled"
            case .unknown: "Unknown"
            case .invalidArgument: "InvalidArgument"
            case .deadlineExceeded: "DeadlineExceeded"
            case .notFound: "NotFound"
            case .alreadyExists: "AlreadyExists"
            case .permissionDenied: "PermissionDenied"
            case .resourceExhausted: "ResourceExhausted"
            case .failedPrecondition: "FailedPrecondition"
            case .aborted: "Aborted"
            case .outOfRange: "OutOfRange"
            case .unimplemented: "Unimplemented"
            case .internal: "Internal"
            case .unavailable: "Unavailable"
            case .dataLoss: "DataLoss"
            case .unauthenticated: "Unauthenticated"
            }
        }
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The status in `headers` (trailers, or the headers of a trailers-only answer); nil when they carry none.
    init?(headers: HTTPHeaders) {
        guard let raw = headers.first(name: "grpc-status") else { return nil }
        code = Int(raw).flatMap(Code.init(rawValue:)) ?? .unknown
        message = Self.percentDecoded(headers.first(name: "grpc-message") ?? "")
    }

    public var description: String { "rpc error: code = \(code.name) desc = \(message)" }

    /// grpc-message is percent-encoded (gRPC over HTTP/2 spec).
    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var out: [UInt8] = []
        var bytes = Array(text.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == UInt8(ascii: "%"), bytes.count >= 2,
               let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(value)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
