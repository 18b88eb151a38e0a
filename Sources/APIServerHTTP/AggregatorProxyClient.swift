import APIServer
import Foundation
import KubeHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix

/// The aggregator's connection to aggregated API servers: HTTPS presenting the front-proxy client certificate
/// (`--proxy-client-cert-file`/`--proxy-client-key-file`), one connection per request.
public struct AggregatorProxyClient: AggregationTransport {
    let certificatePEM: String
    let keyPEM: String

    public init(certificateFile: String, keyFile: String) throws {
        guard let cert = try? String(contentsOfFile: certificateFile, encoding: .utf8) else {
            throw ServerConfigurationError("--proxy-client-cert-file \(certificateFile): cannot read")
        }
        guard let key = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw ServerConfigurationError("--proxy-client-key-file \(keyFile): cannot read")
        }
        // Refused now rather than at every request.
        _ = try Self.client(certificatePEM: cert, keyPEM: key, host: "127.0.0.1", port: 443, caPEM: nil, serverName: nil,
                            flag: "--proxy-client-cert-file/--proxy-client-key-file")
        certificatePEM = cert
        keyPEM = key
    }

    static func client(certificatePEM: String, keyPEM: String, host: String, port: Int, caPEM: String?, serverName: String?,
                       flag: String) throws -> HTTPSClient {
        do {
            return try HTTPSClient(host: host, port: port, caPEM: caPEM, certificatePEM: certificatePEM, keyPEM: keyPEM, serverName: serverName)
        } catch {
            throw ServerConfigurationError("\(flag): \(error)")
        }
    }

    public func send(to endpoint: AggregatedEndpoint, method: String, path: String, headers: [(String, String)], body: [UInt8],
                     timeout: Duration?) async throws -> AggregatedResponse {
        // Without a caBundle and without insecureSkipTLSVerify the system's roots verify, as Go's client does.
        let caPEM: String?
        if endpoint.insecureSkipTLSVerify {
            caPEM = nil
        } else if let bundle = endpoint.caBundle, !bundle.isEmpty {
            caPEM = String(decoding: bundle, as: UTF8.self)
        } else {
            caPEM = ""
        }
        let client = try Self.client(certificatePEM: certificatePEM, keyPEM: keyPEM, host: endpoint.host, port: endpoint.port,
                                     caPEM: caPEM, serverName: endpoint.serverName, flag: "APIService caBundle")
        let deadline = timeout.map { NIODeadline.now() + .nanoseconds(Int64($0.components.seconds) * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000) }
        do {
            let response = try await client.stream(HTTPMethod(rawValue: method), path, headers: headers,
                                                   body: body.isEmpty ? nil : body, deadline: deadline)
            return AggregatedResponse(status: response.status, headers: response.headers, body: response.body)
        } catch {
            if let deadline, NIODeadline.now() >= deadline { throw AggregationTimeout() }
            throw DialError(error, host: endpoint.host, port: endpoint.port)
        }
    }
}

/// A connection failure worded as Go's net package words it (`dial tcp 10.0.0.5:443: connect: connection refused`),
/// as the availability condition's message shows it upstream.
struct DialError: Error, CustomStringConvertible {
    let description: String

    init(_ error: any Error, host: String, port: Int) {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var errno: Int32?
        if let connection = error as? NIOConnectionError {
            errno = connection.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }.first
            if errno == nil, connection.connectionErrors.contains(where: { $0.error is ChannelError }) { errno = ETIMEDOUT }
        } else if let io = error as? IOError {
            errno = io.errnoCode
        } else if case ChannelError.connectTimeout = error {
            errno = ETIMEDOUT
        }
        switch errno {
        case ECONNREFUSED?: description = "dial tcp \(address): connect: connection refused"
        case ETIMEDOUT?: description = "dial tcp \(address): i/o timeout"
        case EHOSTUNREACH?: description = "dial tcp \(address): connect: no route to host"
        default: description = "\(error)"
        }
    }
}
