import ControllerRuntime
import KubeAPI
import KubeClient
import KubeJSON

/// A StatefulSet's pods and claims, made and removed.
extension StatefulSetSync {
    /// The failure to retry the StatefulSet for, if any. A name still taken (the previous pod of that ordinal is
    /// terminating) is not one: that pod's deletion queues the StatefulSet again.
    func create(ordinal n: Int, revision: String) async -> (any Error)? {
        let name = "\(sts.metaName)-\(n)"
        var claimNames: [String: String] = [:]   // volume name → claim name
        for template in spec.volumeClaimTemplates ?? [] {
            let claimName = "\(template.metaName)-\(name)"
            claimNames[template.metaName] = claimName
            await ensureClaim(claimName, from: template, pod: name)
        }
        var pod: JSONValue
        do {
            pod = try Workloads.pod(from: spec.template ?? .emptyObject, owner: sts, namePrefix: name,
                                    extraLabels: [StatefulSetController.hashLabel: revision, StatefulSetController.podNameLabel: name,
                                                  StatefulSetController.podIndexLabel: String(n)])
        } catch {
            controller.expectations.lower(key, adds: 1)
            return error
        }
        pod.setMeta("generateName", nil)
        pod.setMeta("name", .string(name))
        // The pod's spec is the template's as stored; these are the fields a StatefulSet's pods get on top.
        pod[path: ["spec", "hostname"]] = .string(name)
        if !spec.serviceName.isEmpty { pod[path: ["spec", "subdomain"]] = .string(spec.serviceName) }
        if !claimNames.isEmpty {
            var volumes = (pod[path: ["spec", "volumes"]]?.array ?? []).filter { claimNames[$0["name"]?.string ?? ""] == nil }
            for (volume, claim) in claimNames.sorted(by: { $0.key < $1.key }) {
                volumes.append(["name": .string(volume), "persistentVolumeClaim": ["claimName": .string(claim)]])
            }
            pod[path: ["spec", "volumes"]] = .array(volumes)
        }
        do {
            _ = try await controller.pods.create(namespace: sts.metaNamespace, object: pod)
            recorder.event(sts, reason: "SuccessfulCreate", message: "create Pod \(name) in StatefulSet \(sts.metaName) successful")
            return nil
        } catch let error as APIError where error.code == 409 {
            controller.expectations.lower(key, adds: 1)
            return nil
        } catch {
            controller.expectations.lower(key, adds: 1)
            recorder.event(sts, type: "Warning", reason: "FailedCreate",
                           message: "create Pod \(name) in StatefulSet \(sts.metaName) failed error: \(Workloads.message(error))")
            return error
        }
    }

    private func ensureClaim(_ name: String, from template: JSONValue, pod: String) async {
        guard controller.claims.get(namespace: sts.metaNamespace, name: name) == nil else { return }
        let claim: JSONValue
        do {
            let templateMeta = try ObjectMeta(json: template["metadata"] ?? .emptyObject)
            let labels = (templateMeta.labels ?? [:]).merging(spec.selector?.matchLabels ?? [:]) { $1 }
            var metadata = ObjectMeta(name: name, namespace: sts.metaNamespace, labels: labels, annotations: templateMeta.annotations)
            if spec.persistentVolumeClaimRetentionPolicy?.whenDeleted == "Delete" {
                metadata.ownerReferences = [Workloads.ownerReference(sts, blockOwnerDeletion: true)]
            }
            claim = ["apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": try Workloads.json(metadata),
                     "spec": template["spec"] ?? .emptyObject]
        } catch {
            recorder.event(sts, type: "Warning", reason: "FailedCreate",
                           message: "create Claim \(name) for StatefulSet \(sts.metaName) failed error: volumeClaimTemplates: \(error)")
            return
        }
        do {
            _ = try await controller.claims.create(namespace: sts.metaNamespace, object: claim)
            recorder.event(sts, reason: "SuccessfulCreate", message: "create Claim \(name) Pod \(pod) in StatefulSet \(sts.metaName) success")
        } catch let error as APIError where error.isAlreadyExists {
            // The claims cache had not caught up.
        } catch {
            recorder.event(sts, type: "Warning", reason: "FailedCreate",
                           message: "create Claim \(name) for StatefulSet \(sts.metaName) failed error: \(Workloads.message(error))")
        }
    }

    func deleteClaimsIfScaledDown(ordinal n: Int) async {
        guard spec.persistentVolumeClaimRetentionPolicy?.whenScaled == "Delete" else { return }
        for template in spec.volumeClaimTemplates ?? [] {
            try? await controller.claims.delete(namespace: sts.metaNamespace, name: "\(template.metaName)-\(sts.metaName)-\(n)")
        }
    }

    /// The failure to retry the StatefulSet for, if any (a pod already gone is none).
    func delete(_ pod: WorkloadPod) async -> (any Error)? {
        do {
            try await controller.pods.delete(namespace: pod.json.metaNamespace, name: pod.name, options: Workloads.deleteOptions(pod.json))
            recorder.event(sts, reason: "SuccessfulDelete", message: "delete Pod \(pod.name) in StatefulSet \(sts.metaName) successful")
            return nil
        } catch {
            controller.expectations.deletionObserved(key)
            return (error as? APIError)?.isNotFound == true ? nil : error
        }
    }
}
