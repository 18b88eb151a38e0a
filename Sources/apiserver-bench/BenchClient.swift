import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One keep-alive HTTPS connection with the admin client certificate, as one load-generating client.
struct BenchClient {
    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    static func connect(port: Int, tls: NIOSSLContext) async throws -> Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
    }

    static func tlsContext(ca: String, cert: String, key: String, alpn: [String] = ["http/1.1"]) throws -> NIOSSLContext {
        var config = TLSConfiguration.makeClientConfiguration()
        config.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        config.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
        config.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
        config.certificateVerification = .noHostnameVerification
        config.applicationProtocols = alpn
        return try NIOSSLContext(configuration: config)
    }

    /// Sends one request and reads the whole response; returns the status and body.
    static func request(_ method: HTTPMethod, _ uri: String, body: [UInt8]? = nil,
                        iterator: inout NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator,
                        outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>) async throws -> (Int, [UInt8]) {
        var headers = HTTPHeaders([("host", "127.0.0.1"), ("accept", "application/json"), ("user-agent", "apiserver-bench")])
        if let body {
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.count))
        }
        try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)))
        if let body { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body)))) }
        try await outbound.write(.end(nil))
        var status = 0
        var data: [UInt8] = []
        while let part = try await iterator.next() {
            switch part {
            case .head(let head): status = Int(head.status.code)
            case .body(var buffer): data += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end: return (status, data)
            }
        }
        throw BenchError("connection closed mid-response")
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))
    return sorted[index]
}

func rssMiB(pid: Int32) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return .nan }
    for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? .nan
        return kb / 1024
    }
    return .nan
}

func cpuSeconds(pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return .nan }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
