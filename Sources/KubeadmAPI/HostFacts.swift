#if canImport(Glibc)
import Glibc
#endif
import PKI

/// What kubeadm reads from the host to fill defaults: the node name and the address of the default interface.
/// Passed in as a value so tests (and `--dry-run`) don't depend on the machine.
public struct HostFacts: Sendable, Equatable {
    public var hostname: String
    public var defaultAddress: IPAddress?

    public init(hostname: String, defaultAddress: IPAddress?) {
        self.hostname = hostname
        self.defaultAddress = defaultAddress
    }

    /// Reads the hostname and the IPv4 address of the interface holding the default route
    /// (falling back to the first non-loopback IPv4 address), as kubeadm's `ChooseHostInterface` does.
    public static func detect() -> HostFacts {
        var buffer = [CChar](repeating: 0, count: 256)
        gethostname(&buffer, buffer.count)
        let hostname = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return HostFacts(hostname: hostname, defaultAddress: detectDefaultAddress())
    }

    static func defaultRouteInterface() -> String? {
        guard let file = fopen("/proc/net/route", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let fields = text.split(whereSeparator: { $0 == "\t" || $0 == " " })
            if fields.count > 2, fields[1] == "00000000" { return String(fields[0]) }
        }
        return nil
    }

    static func detectDefaultAddress() -> IPAddress? {
        let preferred = defaultRouteInterface()
        var list: UnsafeMutablePointer<ifaddrs>? = nil
        guard getifaddrs(&list) == 0, let first = list else { return nil }
        defer { freeifaddrs(list) }
        var fallback: IPAddress? = nil
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let addr = entry.pointee.ifa_addr, addr.pointee.sa_family == UInt16(AF_INET) else { continue }
            let flags = Int32(entry.pointee.ifa_flags)
            guard flags & Int32(IFF_UP) != 0, flags & Int32(IFF_LOOPBACK) == 0 else { continue }
            let bytes = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                withUnsafeBytes(of: sin.pointee.sin_addr) { Array($0) }
            }
            guard let ip = IPAddress(bytes: bytes) else { continue }
            let name = String(cString: entry.pointee.ifa_name)
            if name == preferred { return ip }
            if fallback == nil { fallback = ip }
        }
        return fallback
    }
}
