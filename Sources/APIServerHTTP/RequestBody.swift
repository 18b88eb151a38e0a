import NIOCore
import NIOHTTP1

/// A request body collected up to --max-request-body-bytes: past the limit (announced by Content-Length or reached
/// while reading) the bytes are dropped and the request is answered 413.
struct RequestBody {
    let limit: Int
    private(set) var bytes: [UInt8] = []
    private(set) var tooLarge = false

    init(head: HTTPRequestHead, limit: Int) {
        self.limit = limit
        if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > limit { tooLarge = true }
    }

    mutating func append(_ buffer: ByteBuffer) {
        guard !tooLarge else { return }
        if bytes.count + buffer.readableBytes > limit {
            tooLarge = true
            bytes = []
        } else {
            bytes += buffer.readableBytesView
        }
    }
}
