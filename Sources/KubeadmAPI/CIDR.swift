import PKI

/// An IP network in CIDR notation (`10.96.0.0/12`).
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    public let network: IPAddress
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let ip = IPAddress(String(parts[0])), let length = Int(parts[1]),
              length >= 0, length <= ip.bytes.count * 8 else { return nil }
        // Mask the host bits, as Go's net.ParseCIDR does.
        var bytes = ip.bytes
        for bit in length..<(bytes.count * 8) {
            bytes[bit / 8] &= ~(UInt8(0x80) >> UInt8(bit % 8))
        }
        guard let masked = IPAddress(bytes: bytes) else { return nil }
        network = masked
        prefixLength = length
    }

    public var description: String { "\(network)/\(prefixLength)" }

    /// The address at `offset` from the network address (offset 1 is the first usable one, the `kubernetes` service IP).
    public func address(at offset: Int) -> IPAddress? {
        var bytes = network.bytes
        var carry = offset
        var index = bytes.count - 1
        while carry > 0 && index >= 0 {
            let sum = Int(bytes[index]) + (carry & 0xff)
            bytes[index] = UInt8(sum & 0xff)
            carry = (carry >> 8) + (sum >> 8)
            index -= 1
        }
        return IPAddress(bytes: bytes)
    }

    public var hostBits: Int { network.bytes.count * 8 - prefixLength }
}
