import KubeAPI
import KubeJSON

/// core/v1 LimitRange: upstream's defaults for Container items (a `max` is the `default` limit, a `default` limit or
/// `min` is the `defaultRequest`) and its validation of the item types and the order min ≤ defaultRequest ≤ default ≤ max.
struct LimitRangeStrategy: ResourceStrategy {
    static let types = ["Container", "PersistentVolumeClaim", "Pod"]

    func applyDefaults(_ object: inout JSONValue) {
        guard var items = object[path: ["spec", "limits"]]?.array else { return }
        for i in items.indices where items[i]["type"]?.string == "Container" {
            var defaults = items[i]["default"]?.object ?? [:], requests = items[i]["defaultRequest"]?.object ?? [:]
            for (k, v) in items[i]["max"]?.object ?? [:] where defaults[k] == nil { defaults[k] = v }
            for (k, v) in defaults where requests[k] == nil { requests[k] = v }
            for (k, v) in items[i]["min"]?.object ?? [:] where requests[k] == nil { requests[k] = v }
            if !defaults.isEmpty { items[i]["default"] = .object(defaults) }
            if !requests.isEmpty { items[i]["defaultRequest"] = .object(requests) }
        }
        object[path: ["spec", "limits"]] = .array(items)
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        for (i, item) in (object[path: ["spec", "limits"]]?.array ?? []).enumerated() {
            let base = "spec.limits[\(i)]"
            let type = item["type"]?.string ?? ""
            if type.isEmpty {
                errors.append(.required("\(base).type"))
            } else if !Self.types.contains(type) {
                errors.append(.notSupported("\(base).type", type, Self.types))
            }
            if type == "Pod" {
                for field in ["default", "defaultRequest"] where !(item[field]?.object ?? [:]).isEmpty {
                    errors.append(.forbidden("\(base).\(field)", "may not be specified when `type` is 'Pod'"))
                }
            }
            func amounts(_ field: String) -> [String: (text: String, amount: QuotaQuantity)] {
                var out: [String: (text: String, amount: QuotaQuantity)] = [:]
                for (k, v) in item[field]?.object ?? [:] {
                    let text = v.string ?? v.int.map(String.init) ?? ""
                    guard let amount = QuotaQuantity(text) else {
                        errors.append(.invalid("\(base).\(field)[\(k)]", text, "must be a valid quantity"))
                        continue
                    }
                    out[k] = (text, amount)
                }
                return out
            }
            let min = amounts("min"), max = amounts("max"), limit = amounts("default"), request = amounts("defaultRequest")
            let ratio = amounts("maxLimitRequestRatio")
            func order(_ low: [String: (text: String, amount: QuotaQuantity)], _ high: [String: (text: String, amount: QuotaQuantity)],
                       field: String, _ detail: (String, String) -> String) {
                for (k, l) in low.sorted(by: { $0.key < $1.key }) {
                    if let h = high[k], l.amount > h.amount {
                        errors.append(.invalid("\(base).\(field)[\(k)]", l.text, detail(l.text, h.text)))
                    }
                }
            }
            order(min, max, field: "min") { "min value \($0) is greater than max value \($1)" }
            order(request, limit, field: "defaultRequest") { "default request value \($0) is greater than default limit value \($1)" }
            order(limit, max, field: "default") { "default value \($0) is greater than max value \($1)" }
            order(request, max, field: "defaultRequest") { "default request value \($0) is greater than max value \($1)" }
            order(min, request, field: "defaultRequest") { "min value \($0) is greater than default request value \($1)" }
            order(min, limit, field: "default") { "min value \($0) is greater than default value \($1)" }
            for (k, r) in ratio.sorted(by: { $0.key < $1.key }) where r.amount < QuotaQuantity(count: 1) {
                errors.append(.invalid("\(base).maxLimitRequestRatio[\(k)]", r.text, "ratio \(r.text) is less than 1"))
            }
        }
        return errors
    }
}
