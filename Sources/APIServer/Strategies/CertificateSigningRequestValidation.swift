import KubeAPI
import KubeJSON
import PKI

/// Upstream's certificates validation (pkg/apis/certificates/validation): the request must be a signed PKCS#10
/// PEM block, usages known and unique, the signer name well formed, expirationSeconds at least 600, conditions
/// well formed with Approved and Denied exclusive, and status.certificate PEM certificates. What an old object
/// already holds is tolerated on update, as upstream tolerates it.
struct CertificateSigningRequestValidation {
    /// Which writes may touch what: `approval` sets Approved/Denied, `status` sets the certificate.
    var allowSettingApprovalConditions = false
    var allowSettingCertificate = false
    var allowBothApprovedAndDenied = false
    var allowLegacySignerName = false
    var allowDuplicateConditionTypes = false
    var allowEmptyConditionType = false
    var allowArbitraryCertificate = false
    var allowUnknownUsages = false
    var allowDuplicateUsages = false

    static let legacyUnknownSignerName = "kubernetes.io/legacy-unknown"
    /// Condition types that may only be True.
    static let trueOnlyTypes: Set<String> = ["Approved", "Denied", "Failed"]

    /// The options for a write over `old` (nil on create): what `old` already got wrong stays allowed.
    init(new: JSONValue, old: JSONValue?) {
        guard let old else { return }
        let oldCSR = View(old)
        let newCSR = View(new)
        allowBothApprovedAndDenied = oldCSR.conditionTypes.contains("Approved") && oldCSR.conditionTypes.contains("Denied")
        allowLegacySignerName = oldCSR.signerName == Self.legacyUnknownSignerName
        allowDuplicateConditionTypes = Set(oldCSR.conditionTypes).count != oldCSR.conditionTypes.count
        allowEmptyConditionType = oldCSR.conditionTypes.contains("")
        allowArbitraryCertificate = newCSR.certificate == oldCSR.certificate || Self.certificateError(oldCSR.certificate) != nil
        allowUnknownUsages = oldCSR.usages.contains { !KeyUsages.all.contains($0) }
        allowDuplicateUsages = Set(oldCSR.usages).count != oldCSR.usages.count
    }

    /// The fields validation reads, as Go's typed object would hold them.
    struct View {
        var request: [UInt8]
        var signerName: String
        var usages: [String]
        var expirationSeconds: Int64?
        var conditions: [JSONValue]
        var certificate: [UInt8]
        var conditionTypes: [String] { conditions.map { $0["type"]?.string ?? "" } }

        init(_ object: JSONValue) {
            request = Base64.decode(object[path: ["spec", "request"]]?.string ?? "") ?? []
            signerName = object[path: ["spec", "signerName"]]?.string ?? ""
            usages = object[path: ["spec", "usages"]]?.array?.map { $0.string ?? "" } ?? []
            expirationSeconds = object[path: ["spec", "expirationSeconds"]]?.int
            conditions = object[path: ["status", "conditions"]]?.array ?? []
            certificate = Base64.decode(object[path: ["status", "certificate"]]?.string ?? "") ?? []
        }

        func conditions(of type: String) -> [JSONValue] { conditions.filter { $0["type"]?.string == type } }
    }

    func validate(_ object: JSONValue) -> [FieldError] {
        let csr = View(object)
        var errors: [FieldError] = []
        do {
            _ = try ParsedCertificateRequest(pem: csr.request)
        } catch {
            let value = object[path: ["spec", "request"]] == nil ? "[]byte(nil)" : Self.goBytes(csr.request)
            errors.append(FieldError(kind: .invalid, field: "spec.request", value: value, detail: error.message, numeric: true))
        }
        if csr.usages.isEmpty { errors.append(.required("spec.usages")) }
        if !allowUnknownUsages {
            for (i, usage) in csr.usages.enumerated() where !KeyUsages.all.contains(usage) {
                errors.append(.notSupported("spec.usages[\(i)]", usage, KeyUsages.all))
            }
        }
        if !allowDuplicateUsages {
            var seen: Set<String> = []
            for (i, usage) in csr.usages.enumerated() {
                if !seen.insert(usage).inserted { errors.append(.duplicate("spec.usages[\(i)]", usage)) }
            }
        }
        if !allowLegacySignerName, csr.signerName == Self.legacyUnknownSignerName {
            errors.append(.invalid("spec.signerName", csr.signerName, "the legacy signerName is not allowed via this API version"))
        } else {
            errors += Self.validateSignerName(csr.signerName, field: "spec.signerName")
        }
        if let seconds = csr.expirationSeconds, seconds < 600 {
            errors.append(.invalid("spec.expirationSeconds", number: seconds, "may not specify a duration less than 600 seconds (10 minutes)"))
        }
        errors += validateConditions(csr)
        if !allowArbitraryCertificate, let problem = Self.certificateError(csr.certificate) {
            errors.append(.invalid("status.certificate", "<certificate data>", problem))
        }
        return errors
    }

    func validateConditions(_ csr: View) -> [FieldError] {
        var errors: [FieldError] = []
        var seen: Set<String> = []
        var hasApproved = false, hasDenied = false
        for (i, condition) in csr.conditions.enumerated() {
            let field = "status.conditions[\(i)]"
            let type = condition["type"]?.string ?? ""
            let status = condition["status"]?.string ?? ""
            if !allowEmptyConditionType, type.isEmpty { errors.append(.required("\(field).type")) }
            let allowed = Self.trueOnlyTypes.contains(type) ? ["True"] : ["False", "True", "Unknown"]
            if status.isEmpty {
                errors.append(.required("\(field).status"))
            } else if !allowed.contains(status) {
                errors.append(.notSupported("\(field).status", status, allowed))
            }
            if !allowBothApprovedAndDenied {
                if type == "Approved" {
                    hasApproved = true
                    if hasDenied { errors.append(.invalid("\(field).type", type, "Approved and Denied conditions are mutually exclusive")) }
                } else if type == "Denied" {
                    hasDenied = true
                    if hasApproved { errors.append(.invalid("\(field).type", type, "Approved and Denied conditions are mutually exclusive")) }
                }
            }
            if !allowDuplicateConditionTypes, !seen.insert(type).inserted { errors.append(.duplicate("\(field).type", type)) }
        }
        return errors
    }

    /// An update's own rules on top: conditions that decided the request stay, Approved/Denied change only through
    /// `approval`, the certificate only through `status` and only once.
    func validateUpdate(_ object: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = validate(object)
        let new = View(object), previous = View(old)
        for type in ["Approved", "Denied", "Failed"] where new.conditions(of: type).count < previous.conditions(of: type).count {
            errors.append(.forbidden("status.conditions", "updates may not remove a condition of type \"\(type)\""))
        }
        if !allowSettingApprovalConditions {
            for type in ["Approved", "Denied"] {
                let before = previous.conditions(of: type), after = new.conditions(of: type)
                if after.count > before.count {
                    errors.append(.forbidden("status.conditions", "updates may not add a condition of type \"\(type)\""))
                } else if after.count == before.count, after != before {
                    errors.append(.forbidden("status.conditions", "updates may not modify a condition of type \"\(type)\""))
                }
            }
        }
        if new.certificate != previous.certificate {
            if !allowSettingCertificate {
                errors.append(.forbidden("status.certificate", "updates may not set certificate content"))
            } else if !previous.certificate.isEmpty {
                errors.append(.forbidden("status.certificate", "updates may not modify existing certificate content"))
            }
        }
        return errors
    }

    /// upstream's validateCertificate: nothing, or CERTIFICATE blocks without headers that parse.
    static func certificateError(_ pem: [UInt8]) -> String? {
        if pem.isEmpty { return nil }
        let blocks = PEMBlocks.decode(pem)
        for block in blocks {
            if block.type != "CERTIFICATE" { return "only CERTIFICATE PEM blocks are allowed, found \"\(block.type)\"" }
            if block.hasHeaders { return "no PEM block headers are permitted" }
            do { _ = try PKICertificate(der: block.bytes) } catch { return "x509: malformed certificate" }
        }
        return blocks.isEmpty ? "must contain at least one CERTIFICATE PEM block" : nil
    }

    /// upstream's ValidateSignerName: `<domain>/<path>`, the domain at least two DNS labels, the path DNS subdomains.
    static func validateSignerName(_ name: String, field: String) -> [FieldError] {
        if name.isEmpty { return [.required(field)] }
        let segments = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.count == 2 else {
            return [.invalid(field, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")]
        }
        var errors: [FieldError] = []
        let (domain, path) = (segments[0], segments[1])
        if domain.utf8.count > 253 { errors.append(FieldError(kind: .tooLong, field: field, value: nil, detail: "must have at most 253 bytes")) }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for label in labels {
            let problems = labelProblems(label)
            if problems.isEmpty { continue }
            errors += problems.map { .invalid(field, domain, "validating label \"\(label)\": \($0)") }
            break
        }
        if labels.count < 2 { errors.append(.invalid(field, domain, "should be a domain with at least two segments separated by dots")) }
        for label in path.split(separator: ".", omittingEmptySubsequences: false).map(String.init) {
            let problems = subdomainProblems(label)
            if problems.isEmpty { continue }
            errors += problems.map { .invalid(field, path, "validating label \"\(label)\": \($0)") }
            break
        }
        let maxLength = 253 + (253 + 63 + 1) + 1
        if name.utf8.count > maxLength {
            errors.append(FieldError(kind: .tooLong, field: field, value: nil, detail: "must have at most \(maxLength) bytes"))
        }
        return errors
    }

    /// IsDNS1123Label's messages.
    static func labelProblems(_ label: String) -> [String] {
        var problems: [String] = []
        if label.utf8.count > 63 { problems.append("must be no more than 63 characters") }
        if !matchesLabelPattern(label) { problems.append(NameValidation.dns1123LabelMessage) }
        return problems
    }

    /// IsDNS1123Subdomain's messages.
    static func subdomainProblems(_ name: String) -> [String] {
        var problems: [String] = []
        if name.utf8.count > 253 { problems.append("must be no more than 253 characters") }
        let matches = !name.isEmpty && name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { matchesLabelPattern(String($0)) }
        if !matches { problems.append(NameValidation.dns1123SubdomainMessage) }
        return problems
    }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without the length limit (reported on its own).
    static func matchesLabelPattern(_ s: String) -> Bool {
        func alnum(_ c: Character) -> Bool { ("a"..."z").contains(c) || ("0"..."9").contains(c) }
        guard let first = s.first, let last = s.last else { return false }
        return alnum(first) && alnum(last) && s.allSatisfy { alnum($0) || $0 == "-" }
    }

    /// A []byte as Go's %#v prints it in a field error: `[]byte{0x2d, 0x2d}`.
    static func goBytes(_ bytes: [UInt8]) -> String {
        let hex = Array("0123456789abcdef")
        return "[]byte{" + bytes.map { "0x" + String(hex[Int($0 >> 4)]) + String(hex[Int($0 & 15)]) }.joined(separator: ", ") + "}"
    }
}
