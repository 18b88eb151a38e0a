import KubeAPI
import KubeJSON

/// certificates.k8s.io/v1 CertificateSigningRequests (upstream's csrStrategy and its status and approval
/// strategies): the requester is recorded on create and the spec never changes after; the object itself only
/// changes its metadata, `/approval` only the conditions (Approved or Denied, which only it may set), `/status`
/// everything else of the status (the certificate, Failed) but Approved and Denied.
struct CertificateSigningRequestStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var objectSubresources: [String] { ["status", "approval"] }

    /// "We don't care what you call your certificate requests": only what cannot be a path segment is refused.
    func validateName(_ name: String) -> String? { NameRules.pathSegment(name) }

    func prepareForCreate(_ object: inout JSONValue, context: RequestContext) {
        var spec = object["spec"]?.object ?? [:]
        let user = context.user
        spec["username"] = user.name.isEmpty ? nil : .string(user.name)
        spec["uid"] = user.uid.isEmpty ? nil : .string(user.uid)
        spec["groups"] = user.groups.isEmpty ? nil : .array(user.groups.map { .string($0) })
        spec["extra"] = user.extra.isEmpty ? nil : .object(user.extra.mapValues { .array($0.map { .string($0) }) })
        object["spec"] = .object(spec)
        // Nobody creates a request already approved or issued.
        object["status"] = .emptyObject
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        object["spec"] = old["spec"]
        object["status"] = old["status"]
    }

    func prepareForSubresourceUpdate(_ object: inout JSONValue, old: JSONValue, subresource: String) {
        let now = Timestamp.format(Timestamp.now())
        let oldConditions = old[path: ["status", "conditions"]]?.array ?? []
        var conditions = object[path: ["status", "conditions"]]?.array ?? []
        switch subresource {
        case "approval":
            Self.populateTimestamps(&conditions, old: oldConditions, now: now)
            object["status"] = old["status"] ?? .emptyObject
        default:
            // Approved and Denied as stored: a status write that adds or drops one is refused by validation.
            for type in ["Approved", "Denied"] {
                let before = oldConditions.filter { $0["type"]?.string == type }
                let indices = conditions.indices.filter { conditions[$0]["type"]?.string == type }
                guard before.count == indices.count else { continue }
                for (index, condition) in zip(indices, before) { conditions[index] = condition }
            }
            Self.populateTimestamps(&conditions, old: oldConditions, now: now)
        }
        if object["status"]?.object == nil { object["status"] = .emptyObject }
        object[path: ["status", "conditions"]] = conditions.isEmpty ? nil : .array(conditions)
    }

    /// lastUpdateTime defaults to now; lastTransitionTime to the old condition's of the same type and status, else now.
    static func populateTimestamps(_ conditions: inout [JSONValue], old: [JSONValue], now: String) {
        for i in conditions.indices where conditions[i].object != nil {
            if (conditions[i]["lastUpdateTime"]?.string ?? "").isEmpty { conditions[i]["lastUpdateTime"] = .string(now) }
            if (conditions[i]["lastTransitionTime"]?.string ?? "").isEmpty {
                let same = old.first {
                    $0["type"] == conditions[i]["type"] && $0["status"] == conditions[i]["status"]
                        && !($0["lastTransitionTime"]?.string ?? "").isEmpty
                }
                conditions[i]["lastTransitionTime"] = same?["lastTransitionTime"] ?? .string(now)
            }
        }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        CertificateSigningRequestValidation(new: object, old: nil).validate(object)
    }

    func validateUpdate(_ object: JSONValue, old: JSONValue, subresource: String) -> [FieldError] {
        var validation = CertificateSigningRequestValidation(new: object, old: old)
        validation.allowSettingApprovalConditions = subresource == "approval"
        validation.allowSettingCertificate = subresource == "status"
        return validation.validateUpdate(object, old: old)
    }

    func selectableFields(_ object: JSONValue) -> [String: String] {
        ["spec.signerName": FieldSets.string(object[path: ["spec", "signerName"]])]
    }
}
