import KubeAPI
import KubeJSON
import KubeStorage

/// upstream's ResourceQuota admission plugin (validating): a create charges what the object uses to every quota of
/// its namespace that covers it, refused when that would pass a quota's `status.hard`, and the new usage is written
/// to the quota's `status.used` before the object is stored, so back-to-back creates cannot overshoot while the
/// resourcequota controller recounts. A quota the controller has not counted yet refuses what it covers, as upstream.
struct ResourceQuotaAdmission: AdmissionPlugin {
    let storage: any StorageBackend
    var name: String { "ResourceQuota" }
    var phase: AdmissionPhase { .validating }

    /// Conflicting writes of a quota (another create charging it, the controller recounting) are retried this often.
    static let attempts = 8

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        // Updates change no object count; upstream charges some (a pod's resize, a claim's growth) — not done here.
        guard operation == .create, resource.namespaced, !namespace.isEmpty, !resource.isVirtual else { return }
        let prefix = "/registry/resourcequotas/\(namespace)/"
        let name = object.metaName
        let forbidden = { (message: String) in
            StatusError.forbidden("\(resource.groupResource) \"\(name)\" is forbidden: \(message)",
                                  resource: resource.groupResource, name: name)
        }
        let delta: [String: QuotaQuantity]
        do {
            delta = try QuotaEvaluation.usage(of: object, resource: resource.resource, group: resource.group)
        } catch {
            // Validation has passed, so the object decodes; anything else is counted as an object only.
            delta = [QuotaEvaluation.countName(resource: resource.resource, group: resource.group): QuotaQuantity(count: 1)]
        }
        let pod = resource.group.isEmpty && resource.resource == "pods" ? try? QuotaPod(object) : nil
        for _ in 0..<Self.attempts {
            let stored = try await storage.range(prefix: prefix, startAfter: nil, limit: 0).kvs
            guard !stored.isEmpty, !delta.isEmpty else { return }
            var charges: [(key: String, revision: Int64, quota: JSONValue)] = []
            for kv in stored {
                guard var json = try? JSONParser.parse(kv.value), let quota = try? ResourceQuota(json: json) else { continue }
                let requirements = QuotaEvaluation.scopeRequirements(quota.spec)
                if !requirements.isEmpty {
                    // Scopes narrow pods only; other kinds fall under no scoped quota.
                    guard let pod, QuotaEvaluation.podMatches(pod, requirements) else { continue }
                }
                let hard = (quota.status.hard ?? [:]).compactMapValues { QuotaQuantity($0.text) }
                let restricted = Set(hard.keys).intersection(delta.keys)
                if let pod, let violation = QuotaEvaluation.podConstraintViolation(required: Set(hard.keys), pod: pod) {
                    throw forbidden("failed quota: \(quota.metadata.name ?? ""): \(violation)")
                }
                guard !restricted.isEmpty else { continue }
                let used = (quota.status.used ?? [:]).compactMapValues { QuotaQuantity($0.text) }
                let unknown = restricted.filter { used[$0] == nil }
                if !unknown.isEmpty {
                    throw forbidden("status unknown for quota: \(quota.metadata.name ?? ""), resources: \(restricted.sorted().joined(separator: ","))")
                }
                let requested = delta.filter { restricted.contains($0.key) && !$0.value.isZero }
                guard !requested.isEmpty else { continue }
                var newUsed = used
                for (name, amount) in requested { newUsed[name] = (used[name] ?? .zero) + amount }
                let exceeded = requested.keys.filter { name in (newUsed[name] ?? .zero) > (hard[name] ?? .zero) }
                if !exceeded.isEmpty {
                    let names = Set(exceeded)
                    throw forbidden("exceeded quota: \(quota.metadata.name ?? ""), requested: \(QuotaEvaluation.prettyPrint(requested.filter { names.contains($0.key) })), used: \(QuotaEvaluation.prettyPrint(used.filter { names.contains($0.key) })), limited: \(QuotaEvaluation.prettyPrint(hard.filter { names.contains($0.key) }))")
                }
                var usedJSON = json[path: ["status", "used"]]?.object ?? [:]
                for (name, amount) in newUsed where requested[name] != nil { usedJSON[name] = .string(amount.text) }
                json[path: ["status", "used"]] = .object(usedJSON)
                charges.append((kv.key, kv.modRevision, json))
            }
            if context.dryRun || charges.isEmpty { return }
            do {
                for charge in charges {
                    _ = try await storage.update(charge.key, value: JSONWriter.write(charge.quota), expectedModRevision: charge.revision)
                }
                return
            } catch StorageError.conflict {
                // A quota changed under us: evaluate again from what is stored now (upstream's quota evaluator
                // retries on conflict too). Charges already written stay: the controller's next recount corrects
                // an overstatement, never an understatement.
                continue
            }
        }
        throw StatusError.internalError("resource quota evaluation timed out")
    }
}
