import FoundationEssentials
import KubeAPI
import KubeJSON

/// `resourceFieldRef` values, as upstream's ExtractContainerResourceValue: a container's request or limit divided by
/// `divisor` (default 1) and rounded up — CPU in millicores, the others in whole units. A limit the container does not
/// set is the node's allocatable (upstream's defaultPodLimitsForDownwardAPI); a request it does not set is its limit
/// as the API defaults it, else 0.
enum ResourceFieldValue {
    static func value(_ selector: ResourceFieldSelector, container: Container, pod: Pod,
                      allocatable: JSONValue) throws(ContainerConfigError) -> String {
        var target = container
        if let name = selector.containerName, !name.isEmpty {
            guard let named = (pod.spec.containers + (pod.spec.initContainers ?? [])).first(where: { $0.name == name }) else {
                throw ContainerConfigError("container \(name) not found")
            }
            target = named
        }
        let divisorText = selector.divisor ?? ""
        let divisor = divisorText.isEmpty || Quantity.value(divisorText) == 0 ? "1" : divisorText
        let parts = selector.resource.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == "limits" || parts[0] == "requests" else {
            throw ContainerConfigError("unsupported container resource : \(selector.resource)")
        }
        let name = parts[1]
        guard ["cpu", "memory", "ephemeral-storage"].contains(name) || name.hasPrefix("hugepages-") else {
            throw ContainerConfigError("unsupported container resource : \(selector.resource)")
        }
        let limits = target.resources?.limits ?? [:]
        let requests = target.resources?.requests ?? [:]
        var amount: String?
        if parts[0] == "limits" {
            amount = limits[name]
            if amount == nil, !name.hasPrefix("hugepages-") { amount = allocatable[name]?.string }
        } else {
            amount = requests[name] ?? limits[name]
        }
        // CPU in millicores (MilliValue), the others in whole units (Value), each rounded up, as upstream.
        let unit = name == "cpu" ? 3 : 0
        let value = scaled(amount ?? "0", decimals: unit) ?? 0
        let per = max(scaled(divisor, decimals: unit) ?? 1, 1)
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: per)
        return String(remainder > 0 ? quotient + 1 : quotient)
    }

    /// The quantity times 10^decimals, rounded up, computed exactly (a Double makes `9m` 10 millicores); nil when
    /// it is not a quantity. Values beyond Int64 are clamped.
    static func scaled(_ text: String, decimals: Int) -> Int64? {
        var number = Substring(text)
        var exponent = 0
        var binary: Int64 = 1
        let decimalSuffixes: [(String, Int)] = [("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18)]
        let binarySuffixes: [(String, Int64)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40), ("Pi", 1 << 50), ("Ei", 1 << 60)]
        if let (suffix, factor) = binarySuffixes.first(where: { number.hasSuffix($0.0) }) {
            number = number.dropLast(suffix.count)
            binary = factor
        } else if let (suffix, power) = decimalSuffixes.first(where: { number.hasSuffix($0.0) }) {
            number = number.dropLast(suffix.count)
            exponent = power
        } else if let e = number.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            guard let power = Int(number[number.index(after: e)...]), abs(power) < 100 else { return nil }
            exponent = power
            number = number[..<e]
        }
        if number.first == "+" { number = number.dropFirst() }
        let negative = number.first == "-"
        if negative { number = number.dropFirst() }
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts.first ?? ""
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !(whole.isEmpty && fraction.isEmpty), (whole + fraction).allSatisfy(\.isASCII), (whole + fraction).allSatisfy(\.isNumber) else {
            return nil
        }
        // Leading zeros carry nothing; beyond 18 significant digits the value is past what is kept anyway.
        var digits = String(whole + fraction).drop { $0 == "0" }
        var power = exponent - fraction.count + decimals
        if digits.count > 18 {
            power += digits.count - 18
            digits = digits.prefix(18)
        }
        var value = Int64(digits) ?? 0
        let (product, overflow) = value.multipliedReportingOverflow(by: binary)
        value = overflow ? Int64.max : product
        if power >= 0 {
            for _ in 0..<min(power, 19) {
                let (next, over) = value.multipliedReportingOverflow(by: 10)
                value = over ? Int64.max : next
            }
        } else if value > 0 {
            var divisor: Int64 = 1
            for _ in 0..<min(-power, 19) {
                let (next, over) = divisor.multipliedReportingOverflow(by: 10)
                if over { return negative ? 0 : 1 }
                divisor = next
            }
            let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
            value = remainder > 0 ? quotient + 1 : quotient
        }
        return negative ? 0 - value : value
    }
}
