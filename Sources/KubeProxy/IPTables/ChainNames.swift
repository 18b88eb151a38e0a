import Crypto

/// Upstream's chain names: a prefix and the first 16 characters of the base32 (RFC 4648, standard alphabet) SHA-256
/// of the service port's name and lowercase protocol (and, for an endpoint, its `ip:port`). The same Service gets the
/// same chains from any kube-proxy, so `iptables-save` reads the same as on an upstream node.
public enum ChainNames {
    public static let services = "KUBE-SERVICES"
    public static let externalServices = "KUBE-EXTERNAL-SERVICES"
    public static let nodePorts = "KUBE-NODEPORTS"
    public static let postrouting = "KUBE-POSTROUTING"
    public static let markMasq = "KUBE-MARK-MASQ"
    public static let forward = "KUBE-FORWARD"

    /// Prefixes of the per-service chains this proxier writes (and so may delete when a Service goes).
    public static let perServicePrefixes = ["KUBE-SVC-", "KUBE-SEP-", "KUBE-EXT-", "KUBE-SVL-", "KUBE-FW-"]

    public static func service(_ name: ServicePortName, _ proto: String) -> String {
        "KUBE-SVC-" + hash(name.description + proto.lowercased())
    }

    public static func external(_ name: ServicePortName, _ proto: String) -> String {
        "KUBE-EXT-" + hash(name.description + proto.lowercased())
    }

    public static func endpoint(_ name: ServicePortName, _ proto: String, _ endpoint: EndpointInfo) -> String {
        "KUBE-SEP-" + hash(name.description + proto.lowercased() + endpoint.description)
    }

    static func hash(_ text: String) -> String {
        String(base32(Array(SHA256.hash(data: Array(text.utf8)))).prefix(16))
    }

    /// RFC 4648 base32 with padding (Go's base32.StdEncoding).
    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var out = ""
        var buffer: UInt64 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt64(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt64(bits)) & 31)])
            }
            buffer &= (UInt64(1) << UInt64(bits)) &- 1
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt64(5 - bits)) & 31)]) }
        while out.count % 8 != 0 { out.append("=") }
        return out
    }
}
