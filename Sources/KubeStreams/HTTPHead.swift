import NIOCore

/// An HTTP/1.1 message head read off a raw connection (the answer to an upgrade request), with the bytes that came
/// after it in the same reads.
public struct HTTPHead: Sendable {
    /// The request line or status line.
    public var startLine: String
    public var headers: [(String, String)]
    /// Bytes read past the head (the first frames of the upgraded protocol).
    public var rest: [UInt8]

    public init(startLine: String, headers: [(String, String)], rest: [UInt8] = []) {
        self.startLine = startLine
        self.headers = headers
        self.rest = rest
    }

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// The status code of a response head; nil when the line is not one.
    public var status: Int? {
        let parts = startLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }

    /// The whole head as sent: the start line, the headers, the blank line.
    public var serialized: [UInt8] {
        var text = startLine + "\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// The status code's reason phrase for the few statuses the streaming paths answer with.
    public static func reason(_ status: Int) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    /// A response head with `content-length` set to the body's length, and the body after it.
    public static func response(status: Int, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        var all = headers
        all.append(("Content-Length", String(body.count)))
        return HTTPHead(startLine: "HTTP/1.1 \(status) \(reason(status))", headers: all, rest: []).serialized + body
    }

    /// Reads a head of at most `limit` bytes; nil when the connection ends first or the head is too large.
    public static func read(from stream: inout RawConnection.Inbound.AsyncIterator, limit: Int = 64 * 1024) async -> HTTPHead? {
        var bytes: [UInt8] = []
        while bytes.count <= limit {
            guard var chunk = await stream.next() else { return nil }
            let from = max(0, bytes.count - 3)
            bytes += chunk.readBytes(length: chunk.readableBytes) ?? []
            if let end = terminator(in: bytes, from: from) {
                return parse(Array(bytes[..<end]), rest: Array(bytes[(end + 4)...]))
            }
        }
        return nil
    }

    static func terminator(in bytes: [UInt8], from: Int) -> Int? {
        guard bytes.count >= 4 else { return nil }
        var i = from
        while i + 3 < bytes.count {
            if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return i }
            i += 1
        }
        return nil
    }

    static func parse(_ head: [UInt8], rest: [UInt8]) -> HTTPHead? {
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: false)
        guard let first = lines.first, !first.isEmpty else { return nil }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces))
        }
        return HTTPHead(startLine: String(first), headers: headers, rest: rest)
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
