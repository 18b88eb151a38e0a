import KubeAPI
import KubeJSON

/// admission.k8s.io AdmissionReview: the request the apiserver sends and the checks its answer must pass (upstream's
/// CreateAdmissionObjects and VerifyAdmissionResponse).
enum AdmissionReview {
    /// The review versions this server speaks, preferred first.
    static let versions = ["v1", "v1beta1"]

    /// The first version the webhook accepts that this server speaks.
    static func version(for hook: AdmissionWebhook) -> String? {
        let accepted = hook.admissionReviewVersions ?? []
        return accepted.first { versions.contains($0) }
    }

    static func gvk(_ def: ResourceDefinition) -> JSONValue {
        ["group": .string(def.group), "version": .string(def.version), "kind": .string(def.kind)]
    }

    static func gvr(_ def: ResourceDefinition) -> JSONValue {
        ["group": .string(def.group), "version": .string(def.version), "resource": .string(def.resource)]
    }

    /// The object as the invoked version has it (custom resources only differ in apiVersion).
    static func converted(_ object: JSONValue?, to def: ResourceDefinition) -> JSONValue {
        guard var object else { return .null }
        object["apiVersion"] = .string(def.apiVersion)
        return object
    }

    static func options(_ attributes: AdmissionAttributes) -> JSONValue {
        let context = attributes.context
        var options: JSONValue = ["apiVersion": "meta.k8s.io/v1"]
        switch attributes.operation {
        case .create: options["kind"] = "CreateOptions"
        case .update: options["kind"] = "UpdateOptions"
        case .delete:
            options["kind"] = "DeleteOptions"
            if let grace = context.deleteOptions?.gracePeriodSeconds { options["gracePeriodSeconds"] = .int(Int64(grace)) }
            if let policy = context.deleteOptions?.propagationPolicy { options["propagationPolicy"] = .string(policy) }
        }
        if context.dryRun { options["dryRun"] = ["All"] }
        if attributes.operation != .delete, !context.fieldManager.isEmpty { options["fieldManager"] = .string(context.fieldManager) }
        return options
    }

    static func request(uid: String, version: String, attributes: AdmissionAttributes, invocation: WebhookInvocation) -> JSONValue {
        let user = attributes.context.user
        var userInfo: JSONValue = ["username": .string(user.name)]
        if !user.uid.isEmpty { userInfo["uid"] = .string(user.uid) }
        if !user.groups.isEmpty { userInfo["groups"] = .array(user.groups.map { .string($0) }) }
        if !user.extra.isEmpty { userInfo["extra"] = .object(user.extra.mapValues { .array($0.map { .string($0) }) }) }
        var request: JSONValue = [
            "uid": .string(uid),
            "kind": gvk(invocation.definition), "resource": gvr(invocation.definition),
            "requestKind": gvk(attributes.resource), "requestResource": gvr(attributes.resource),
            "operation": .string(attributes.operation.rawValue), "userInfo": userInfo,
            "object": converted(attributes.operation == .delete ? nil : attributes.object, to: invocation.definition),
            "oldObject": converted(attributes.oldObject, to: invocation.definition),
            "dryRun": .bool(attributes.context.dryRun), "options": options(attributes),
        ]
        if !attributes.subresource.isEmpty {
            request["subResource"] = .string(attributes.subresource)
            request["requestSubResource"] = .string(attributes.subresource)
        }
        if !attributes.name.isEmpty { request["name"] = .string(attributes.name) }
        if !attributes.namespace.isEmpty { request["namespace"] = .string(attributes.namespace) }
        return ["kind": "AdmissionReview", "apiVersion": .string("admission.k8s.io/\(version)"), "request": request]
    }

    /// A verified answer.
    struct Result: Sendable {
        var allowed: Bool
        var patch: JSONValue?
        var patchType: String?
        var status: JSONValue?
        var warnings: [String]
    }

    struct InvalidResponse: Error, CustomStringConvertible {
        let description: String
    }

    /// upstream's GroupVersionKind.String(): `admission.k8s.io/v1, Kind=AdmissionReview`.
    static func gvkString(apiVersion: String, kind: String) -> String {
        let parts = apiVersion.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let (group, version) = parts.count == 2 ? (parts[0], parts[1]) : ("", apiVersion)
        return "\(group)/\(version), Kind=\(kind)"
    }

    static func verify(_ review: JSONValue, uid: String, version: String, mutating: Bool) throws(InvalidResponse) -> Result {
        let strict = version == "v1"
        if strict {
            let apiVersion = review["apiVersion"]?.string ?? "", kind = review["kind"]?.string ?? ""
            if apiVersion != "admission.k8s.io/v1" || kind != "AdmissionReview" {
                throw InvalidResponse(description: "expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got \(gvkString(apiVersion: apiVersion, kind: kind))")
            }
        }
        guard let response = review["response"], response.object != nil else { throw InvalidResponse(description: "response was absent") }
        let answeredUID = response["uid"]?.string ?? ""
        if strict, answeredUID != uid {
            throw InvalidResponse(description: "expected response.uid=\"\(uid)\", got \"\(answeredUID)\"")
        }
        let patchText = response["patch"]?.string ?? ""
        var patchType = response["patchType"]?.string
        if strict {
            if mutating {
                if !patchText.isEmpty, patchType == nil {
                    throw InvalidResponse(description: "webhook returned response.patch but not response.patchType")
                }
                if patchText.isEmpty, patchType != nil {
                    throw InvalidResponse(description: "webhook returned response.patchType but not response.patch")
                }
                if let type = patchType, type.isEmpty {
                    throw InvalidResponse(description: "webhook returned invalid response.patchType of \"\"")
                }
            } else {
                if !patchText.isEmpty { throw InvalidResponse(description: "validating webhook may not return response.patch") }
                if patchType != nil { throw InvalidResponse(description: "validating webhook may not return response.patchType") }
            }
        } else if !patchText.isEmpty {
            // v1beta1 answers are taken as they come, their patch as a JSON patch.
            patchType = "JSONPatch"
        }
        var patch: JSONValue?
        if mutating, !patchText.isEmpty {
            guard let bytes = Base64.decode(patchText), let parsed = try? JSONParser.parse(bytes) else {
                throw InvalidResponse(description: "received undecodable patch in webhook response")
            }
            patch = parsed
        }
        let status = response["status"].flatMap { $0.object == nil ? nil : $0 }
        return Result(allowed: response["allowed"]?.bool ?? false, patch: patch, patchType: patchType, status: status,
                      warnings: (response["warnings"]?.array ?? []).compactMap(\.string))
    }

    /// A webhook's refusal as upstream's ToStatusErr (1.32) words it: its code (400 when below 400), its reason and
    /// details, the message prefixed with the webhook's name.
    static func denial(webhook: String, status: JSONValue?) -> StatusError {
        let deniedBy = "admission webhook \"\(webhook)\" denied the request"
        let code = Int(clamping: status?["code"]?.int ?? 0)
        let reason = status?["reason"]?.string ?? ""
        let message = status?["message"]?.string ?? ""
        let text: String
        if !message.isEmpty {
            text = "\(deniedBy): \(message)"
        } else if !reason.isEmpty {
            text = "\(deniedBy): \(reason)"
        } else {
            text = "\(deniedBy) without explanation"
        }
        let details = status?["details"].flatMap { $0.object == nil ? nil : $0 }
        return StatusError(code: code < 400 ? 400 : min(code, 599), reason: reason, message: text, details: details)
    }
}
