import KubeAPI
import KubeJSON
#if canImport(Glibc)
import Glibc
#endif

/// discovery.k8s.io/v1 EndpointSlices (pkg/registry/discovery/endpointslice and pkg/apis/discovery/validation):
/// ports default to TCP and an empty name, the address type is fixed once created, and the generation moves when
/// anything but metadata changes (upstream also bumps it for a label-only change; the store here does not).
struct EndpointSliceStrategy: ResourceStrategy {
    var tracksGeneration: Bool { true }

    static let addressTypes = ["FQDN", "IPv4", "IPv6"]
    static let protocols = ["SCTP", "TCP", "UDP"]
    static let maxEndpoints = 1000
    static let maxAddresses = 100
    /// The API's documented limit on ports per slice.
    static let maxPorts = 100

    func applyDefaults(_ object: inout JSONValue) {
        // SetDefaults_EndpointPort: a nil name is "" and a nil protocol TCP, so clients compare like for like.
        guard var ports = object["ports"]?.array else { return }
        for i in ports.indices where ports[i].object != nil {
            if ports[i]["name"] == nil || ports[i]["name"] == .null { ports[i]["name"] = "" }
            if ports[i]["protocol"] == nil || ports[i]["protocol"] == .null { ports[i]["protocol"] = "TCP" }
        }
        object["ports"] = .array(ports)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let addressType = object["addressType"]?.string ?? ""
        if addressType.isEmpty {
            errors.append(.required("addressType"))
        } else if !Self.addressTypes.contains(addressType) {
            errors.append(.notSupported("addressType", addressType, Self.addressTypes))
        }
        errors += Self.validateEndpoints(object["endpoints"]?.array ?? [], addressType: addressType)
        errors += Self.validatePorts(object["ports"]?.array ?? [])
        return errors
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        if object["addressType"] != old["addressType"] {
            errors.append(.invalid("addressType", object["addressType"]?.string ?? "", "field is immutable"))
        }
        return errors
    }

    static func validateEndpoints(_ endpoints: [JSONValue], addressType: String) -> [FieldError] {
        if endpoints.count > maxEndpoints {
            return [FieldError(kind: .tooMany, field: "endpoints", value: String(endpoints.count),
                               detail: "must have at most \(maxEndpoints) items")]
        }
        var errors: [FieldError] = []
        for (i, endpoint) in endpoints.enumerated() {
            let path = "endpoints[\(i)].addresses"
            let addresses = endpoint["addresses"]?.array ?? []
            if addresses.isEmpty {
                errors.append(.required(path, "must contain at least 1 address"))
            } else if addresses.count > maxAddresses {
                errors.append(FieldError(kind: .tooMany, field: path, value: String(addresses.count),
                                         detail: "must have at most \(maxAddresses) items"))
            }
            for (j, address) in addresses.enumerated() {
                let text = address.string ?? ""
                switch addressType {
                case "IPv4" where !IPText.isIPv4(text):
                    errors.append(.invalid("\(path)[\(j)]", text, "must be a valid IPv4 address"))
                case "IPv6" where !IPText.isIPv6(text):
                    errors.append(.invalid("\(path)[\(j)]", text, "must be a valid IPv6 address"))
                case "FQDN" where !NameValidation.isDNS1123Subdomain(text) || !text.contains("."):
                    errors.append(.invalid("\(path)[\(j)]", text, "should be a domain with at least two segments separated by dots"))
                default: break
                }
            }
            if let node = endpoint["nodeName"]?.string, !NameValidation.isDNS1123Subdomain(node) {
                errors.append(.invalid("endpoints[\(i)].nodeName", node, NameValidation.dns1123SubdomainMessage))
            }
            if let hostname = endpoint["hostname"]?.string, !NameValidation.isDNS1123Label(hostname) {
                errors.append(.invalid("endpoints[\(i)].hostname", hostname, NameValidation.dns1123LabelMessage))
            }
        }
        return errors
    }

    static func validatePorts(_ ports: [JSONValue]) -> [FieldError] {
        if ports.count > maxPorts {
            return [FieldError(kind: .tooMany, field: "ports", value: String(ports.count), detail: "must have at most \(maxPorts) items")]
        }
        var errors: [FieldError] = []
        var names = Set<String>()
        for (i, port) in ports.enumerated() {
            let name = port["name"]?.string ?? ""
            if !name.isEmpty, !NameValidation.isDNS1123Label(name) {
                errors.append(.invalid("ports[\(i)].name", name, NameValidation.dns1123LabelMessage))
            }
            if !names.insert(name).inserted { errors.append(.duplicate("ports[\(i)].name", name)) }
            let proto = port["protocol"]?.string ?? ""
            if proto.isEmpty {
                errors.append(.required("ports[\(i)].protocol"))
            } else if !protocols.contains(proto) {
                errors.append(.notSupported("ports[\(i)].protocol", proto, protocols))
            }
            // An unset port means "all ports" upstream; a set one is an int32 the decoder already bounded.
            if let number = port["port"]?.int, !(0...65535).contains(number) {
                errors.append(.invalid("ports[\(i)].port", number: number, NumericValidation.portRange))
            }
        }
        return errors
    }
}

/// Textual IP checks as netutils.ParseIPSloppy accepts them (inet_pton refuses IPv4 octets with leading zeros,
/// which Go's sloppy parser allows, so IPv4 is parsed by hand).
enum IPText {
    static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ ("0"..."9").contains($0) }), let n = Int(part) else { return false }
            return n <= 255
        }
    }

    static func isIPv6(_ text: String) -> Bool {
        guard text.contains(":") else { return false }
        var address = in6_addr()
        return inet_pton(AF_INET6, text, &address) == 1
    }
}
