import APIServer
import Foundation
import NIOHTTP1
import PKI

/// Upstream's request-header authenticator (`--requestheader-*`): a client whose certificate was signed by
/// `--requestheader-client-ca-file` (and, with `--requestheader-allowed-names`, carries one of those common names) is a
/// front proxy (the aggregator of another kube-apiserver, an authenticating proxy), and the user is the one its
/// headers name: the first non-empty username header, every value of the group headers, and extras from the
/// prefixed headers.
public struct RequestHeaderAuthenticator: Sendable {
    let verifier: ClientCertificateVerifier
    public let allowedNames: [String]
    public let usernameHeaders: [String]
    public let groupHeaders: [String]
    public let extraHeaderPrefixes: [String]

    public init(caFile: String, allowedNames: [String], usernameHeaders: [String], groupHeaders: [String],
                extraHeaderPrefixes: [String]) throws {
        do { verifier = try ClientCertificateVerifier(bundlePath: caFile, source: "--requestheader-client-ca-file") } catch {
            throw ServerConfigurationError(error.description)
        }
        guard !usernameHeaders.isEmpty else {
            throw ServerConfigurationError("--requestheader-username-headers must be set with --requestheader-client-ca-file")
        }
        self.allowedNames = allowedNames
        self.usernameHeaders = usernameHeaders
        self.groupHeaders = groupHeaders
        self.extraHeaderPrefixes = extraHeaderPrefixes
    }

    /// Whether the certificate is a front proxy's; otherwise why not.
    public func verifiesProxy(derBytes: [UInt8], now: Date = Date()) -> String? {
        switch verifier.verify(der: derBytes, now: now) {
        case .rejected(let why): return why
        case .verified(let commonName, _):
            if !allowedNames.isEmpty, !allowedNames.contains(commonName) {
                return "x509: subject with cn=\(commonName) is not in the allowed list"
            }
            return nil
        }
    }

    /// The user the headers name; nil when no username header has a value (then the request is not authenticated
    /// by this authenticator).
    public func user(_ headers: HTTPHeaders) -> UserInfo? {
        guard let name = usernameHeaders.lazy.compactMap({ headers.first(name: $0) }).first(where: { !$0.isEmpty }) else { return nil }
        var groups = groupHeaders.flatMap { headers[$0] }
        var extra: [String: [String]] = [:]
        for (header, value) in headers {
            let lower = header.lowercased()
            for prefix in extraHeaderPrefixes where lower.hasPrefix(prefix.lowercased()) {
                let key = String(lower.dropFirst(prefix.count))
                extra[(key.removingPercentEncoding ?? key).lowercased(), default: []].append(value)
            }
        }
        if !groups.contains("system:authenticated") { groups.append("system:authenticated") }
        var user = UserInfo(name: name, groups: groups)
        user.extra = extra
        return user
    }

    /// The request's headers without the identity headers once they were used, as upstream drops them.
    public func stripping(_ headers: HTTPHeaders) -> HTTPHeaders {
        var out = headers
        for name in usernameHeaders + groupHeaders { out.remove(name: name) }
        for (header, _) in headers where extraHeaderPrefixes.contains(where: { header.lowercased().hasPrefix($0.lowercased()) }) {
            out.remove(name: header)
        }
        return out
    }
}
