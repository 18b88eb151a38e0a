#if canImport(Glibc)
import Glibc
#endif
import KubeAPI

/// The subject alternative names of a serving certificate: DNS names and IP addresses, kept in the order
/// kubeadm prints them (DNS names sorted, IPs in the order they were added) and free of duplicates.
public struct AltNames: Sendable, Equatable {
    public private(set) var dnsNames: [String] = []
    public private(set) var ipAddresses: [IPAddress] = []

    public init(dnsNames: [String] = [], ipAddresses: [IPAddress] = []) {
        for name in dnsNames { addDNSName(name) }
        for ip in ipAddresses { addIP(ip) }
    }

    public mutating func addDNSName(_ name: String) {
        guard !dnsNames.contains(name) else { return }
        dnsNames.append(name)
        dnsNames.sort()
    }

    public mutating func addIP(_ ip: IPAddress) {
        guard !ipAddresses.contains(ip) else { return }
        ipAddresses.append(ip)
    }

    /// Adds a user-supplied SAN: an IP address if it parses as one, otherwise a DNS name that must be a valid
    /// DNS-1123 subdomain (optionally with a leading `*.` wildcard).
    public mutating func add(userValue: String) throws(PKIError) {
        if let ip = IPAddress(userValue) {
            addIP(ip)
        } else if DNSName.isValidSubdomain(userValue, allowWildcard: true) {
            addDNSName(userValue)
        } else {
            throw PKIError("\"\(userValue)\" is neither a valid IP address nor a valid DNS name (a lowercase RFC 1123 subdomain)")
        }
    }

    public func contains(_ other: AltNames) -> Bool {
        other.dnsNames.allSatisfy(dnsNames.contains) && other.ipAddresses.allSatisfy(ipAddresses.contains)
    }
}

/// An IPv4 or IPv6 address held as its network-order bytes.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return
        }
        return nil
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    public var isIPv4: Bool { bytes.count == 4 }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        let ok = bytes.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &buffer, socklen_t(buffer.count)) != nil
        }
        guard ok else { return "?" }
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text
    }

    /// How openssl and Go print IPv6 SANs in full (`0:0:0:0:0:0:0:1`); IPv4 stays dotted.
    public var expandedDescription: String {
        guard !isIPv4 else { return description }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
            .joined(separator: ":")
    }
}

/// DNS names as certificates accept them: Kubernetes' DNS-1123 subdomain, optionally with a leading `*.` wildcard.
public enum DNSName {
    public static func isValidSubdomain(_ name: String, allowWildcard: Bool = false) -> Bool {
        let bare = allowWildcard && name.hasPrefix("*.") ? String(name.dropFirst(2)) : name
        return NameValidation.isDNS1123Subdomain(bare)
    }
}
