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
        let value = Quantity.scaled(amount ?? "0", decimals: unit) ?? 0
        let per = max(Quantity.scaled(divisor, decimals: unit) ?? 1, 1)
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: per)
        return String(remainder > 0 ? quotient + 1 : quotient)
    }
}
