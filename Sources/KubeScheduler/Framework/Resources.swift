import KubeAPI
import KubeJSON

/// The resources the scheduler counts, in upstream's integer units: cpu in millicores, memory in bytes, pods as a
/// count. Integers (not the quantities' doubles) so that a node's sum of many pods does not drift; every sum
/// saturates because the numbers come from objects anyone may write.
public struct Resources: Sendable, Equatable {
    public var milliCPU: Int64 = 0
    public var memory: Int64 = 0
    public var pods: Int64 = 0

    public init(milliCPU: Int64 = 0, memory: Int64 = 0, pods: Int64 = 0) {
        self.milliCPU = milliCPU
        self.memory = memory
        self.pods = pods
    }

    public static func + (a: Resources, b: Resources) -> Resources {
        Resources(milliCPU: a.milliCPU.saturatingAdd(b.milliCPU), memory: a.memory.saturatingAdd(b.memory),
                  pods: a.pods.saturatingAdd(b.pods))
    }

    public static func - (a: Resources, b: Resources) -> Resources {
        Resources(milliCPU: a.milliCPU.saturatingAdd(b.milliCPU.saturatingNegated), memory: a.memory.saturatingAdd(b.memory.saturatingNegated),
                  pods: a.pods.saturatingAdd(b.pods.saturatingNegated))
    }

    /// A quantity in millis, rounded up as apimachinery's MilliValue (a request of 0.1m still asks for something).
    static func millis(_ value: JSONValue?) -> Int64? {
        guard let text = quantityText(value), let v = Quantity.value(text) else { return nil }
        return Int64(clampingDouble: (v * 1000).rounded(.up))
    }

    /// A quantity in whole units, rounded up as apimachinery's Value.
    static func units(_ value: JSONValue?) -> Int64? {
        guard let text = quantityText(value), let v = Quantity.value(text) else { return nil }
        return Int64(clampingDouble: v.rounded(.up))
    }

    /// Quantities arrive as strings, but a hand-written object may carry a bare number.
    private static func quantityText(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let s)?: return s
        case .int(let i)?: return String(i)
        case .double(let d)?: return String(d)
        default: return nil
        }
    }
}

extension Int64 {
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    var saturatingNegated: Int64 { self == .min ? .max : -self }

    /// Saturating multiplication: resource arithmetic on values taken from objects must not trap.
    func saturatingMultiply(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }

    init(clampingDouble value: Double) {
        if value.isNaN { self = 0 }
        else if value >= 9.2e18 { self = .max }
        else if value <= -9.2e18 { self = .min }
        else { self = Int64(value) }
    }
}
