import CZlib

/// SPDY/3 name/value header blocks: a count and length-prefixed names and values, compressed as one zlib stream per
/// direction of a connection, primed with the protocol's dictionary (draft 3, section 2.6.10.1).
public enum SPDYHeaderBlock {
    /// The draft's dictionary: length-prefixed common header names and methods, then common values.
    public static let dictionary: [UInt8] = {
        let words = ["options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding",
                     "accept-language", "accept-ranges", "age", "allow", "authorization", "cache-control", "connection",
                     "content-base", "content-encoding", "content-language", "content-length", "content-location",
                     "content-md5", "content-range", "content-type", "date", "etag", "expect", "expires", "from", "host",
                     "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since", "last-modified",
                     "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
                     "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via",
                     "warning", "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url",
                     "public", "set-cookie", "keep-alive", "origin"]
        var out: [UInt8] = []
        for word in words { out += be32(UInt32(word.utf8.count)) + Array(word.utf8) }
        let tail = "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
            + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
            + "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
            + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
            + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
            + "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
        return out + Array(tail.utf8)
    }()

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    /// The uncompressed block for these headers (names lowercased, as SPDY requires).
    public static func encode(_ headers: [(String, String)]) -> [UInt8] {
        var out = be32(UInt32(headers.count))
        for (name, value) in headers {
            let n = Array(name.lowercased().utf8), v = Array(value.utf8)
            out += be32(UInt32(n.count)) + n + be32(UInt32(v.count)) + v
        }
        return out
    }

    public struct FormatError: Error, CustomStringConvertible {
        public var description: String
    }

    /// An uncompressed block's pairs; a value holding several NUL-separated values is split into several pairs.
    public static func decode(_ block: [UInt8]) throws -> [(String, String)] {
        var offset = 0
        func u32() throws -> Int {
            guard offset + 4 <= block.count else { throw FormatError(description: "truncated SPDY header block") }
            defer { offset += 4 }
            return Int(block[offset]) << 24 | Int(block[offset + 1]) << 16 | Int(block[offset + 2]) << 8 | Int(block[offset + 3])
        }
        func string() throws -> String {
            let length = try u32()
            guard length <= block.count - offset else { throw FormatError(description: "truncated SPDY header block") }
            defer { offset += length }
            return String(decoding: block[offset..<(offset + length)], as: UTF8.self)
        }
        let count = try u32()
        var out: [(String, String)] = []
        for _ in 0..<min(count, 1024) {
            let name = try string()
            for value in try string().split(separator: "\0", omittingEmptySubsequences: false) { out.append((name, String(value))) }
        }
        return out
    }
}

/// Decompresses the header blocks one side of a connection sends (one zlib stream across all of them).
public final class SPDYHeaderInflater {
    private var stream = z_stream()
    private var ready = false

    public init() {
        ready = inflateInit_(&stream, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
    }

    deinit { if ready { inflateEnd(&stream) } }

    public func inflate(_ input: [UInt8]) throws -> [UInt8] {
        guard ready else { throw SPDYHeaderBlock.FormatError(description: "zlib is not available") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var source = input
        let result: Int32 = source.withUnsafeMutableBufferPointer { src in
            stream.next_in = src.baseAddress
            stream.avail_in = uInt(src.count)
            while true {
                let (rc, produced) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    var rc = CZlib.inflate(&stream, Z_SYNC_FLUSH)
                    if rc == Z_NEED_DICT {
                        rc = SPDYHeaderBlock.dictionary.withUnsafeBufferPointer {
                            inflateSetDictionary(&stream, $0.baseAddress, uInt($0.count))
                        }
                        if rc == Z_OK { rc = CZlib.inflate(&stream, Z_SYNC_FLUSH) }
                    }
                    return (rc, out.count - Int(stream.avail_out))
                }
                output += chunk[0..<produced]
                if rc == Z_BUF_ERROR && stream.avail_in == 0 { return Z_OK }
                guard rc == Z_OK else { return rc }
                if stream.avail_in == 0 && stream.avail_out > 0 { return Z_OK }
                if output.count > 1 << 20 { return Z_DATA_ERROR }
            }
        }
        stream.next_in = nil
        guard result == Z_OK else { throw SPDYHeaderBlock.FormatError(description: "SPDY header block does not inflate (zlib \(result))") }
        return output
    }
}

/// Compresses the header blocks this side sends, each ending on a sync flush so the peer can read it whole.
public final class SPDYHeaderDeflater {
    private var stream = z_stream()
    private var ready = false

    public init() {
        guard deflateInit_(&stream, Z_BEST_COMPRESSION, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return }
        ready = SPDYHeaderBlock.dictionary.withUnsafeBufferPointer {
            deflateSetDictionary(&stream, $0.baseAddress, uInt($0.count))
        } == Z_OK
    }

    deinit { deflateEnd(&stream) }

    public func deflate(_ input: [UInt8]) throws -> [UInt8] {
        guard ready else { throw SPDYHeaderBlock.FormatError(description: "zlib is not available") }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var source = input
        let ok: Bool = source.withUnsafeMutableBufferPointer { src in
            stream.next_in = src.baseAddress
            stream.avail_in = uInt(src.count)
            while true {
                let (rc, produced, left) = chunk.withUnsafeMutableBufferPointer { out -> (Int32, Int, uInt) in
                    stream.next_out = out.baseAddress
                    stream.avail_out = uInt(out.count)
                    let rc = CZlib.deflate(&stream, Z_SYNC_FLUSH)
                    return (rc, out.count - Int(stream.avail_out), stream.avail_out)
                }
                output += chunk[0..<produced]
                guard rc == Z_OK else { return false }
                if left > 0 { return true }
            }
        }
        stream.next_in = nil
        guard ok else { throw SPDYHeaderBlock.FormatError(description: "SPDY header block does not deflate") }
        return output
    }
}
