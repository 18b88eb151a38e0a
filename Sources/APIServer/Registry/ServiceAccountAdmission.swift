import KubeAPI
import KubeJSON
import KubeStorage

/// upstream's ServiceAccount admission plugin, for pods being created: `serviceAccountName` defaults to `default`,
/// the service account must exist (403 otherwise), and unless automounting is turned off (on the pod, else on the
/// service account) every container mounts the `kube-api-access-<suffix>` projected volume — a bound token, the
/// cluster CA from `kube-root-ca.crt` and the namespace — at /var/run/secrets/kubernetes.io/serviceaccount.
/// Mirror pods are left as the kubelet wrote them, and may not name a service account.
struct ServiceAccountAdmission: AdmissionPlugin {
    var name: String { "ServiceAccount" }
    let storage: any StorageBackend

    static let mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    static let volumePrefix = "kube-api-access-"
    /// What a pod that names none runs as; kube-controller-manager's serviceaccount controller makes it in every namespace.
    static let defaultServiceAccount = "default"
    /// The ConfigMap kube-controller-manager's root-ca-cert-publisher keeps in every namespace.
    static let rootCAConfigMap = "kube-root-ca.crt"

    func admit(_ operation: AdmissionOperation, resource: ResourceDefinition, namespace: String, object: inout JSONValue,
               old: JSONValue?, context: RequestContext) async throws {
        guard operation == .create, resource.group.isEmpty, resource.resource == "pods", context.subresource.isEmpty else { return }
        if object[path: ["metadata", "annotations", "kubernetes.io/config.mirror"]] != nil {
            if !(object[path: ["spec", "serviceAccountName"]]?.string ?? "").isEmpty {
                throw forbidden(object, namespace, "a mirror pod may not reference service accounts")
            }
            return
        }
        var saName = object[path: ["spec", "serviceAccountName"]]?.string ?? ""
        if saName.isEmpty {
            saName = object[path: ["spec", "serviceAccount"]]?.string ?? ""
            if saName.isEmpty { saName = Self.defaultServiceAccount }
        }
        object[path: ["spec", "serviceAccountName"]] = .string(saName)
        object[path: ["spec", "serviceAccount"]] = .string(saName)
        guard let sa = try await serviceAccount(namespace: namespace, name: saName) else {
            throw forbidden(object, namespace,
                            "error looking up service account \(namespace)/\(saName): serviceaccount \"\(saName)\" not found")
        }
        let automount = object[path: ["spec", "automountServiceAccountToken"]]?.bool ?? sa["automountServiceAccountToken"]?.bool ?? true
        if automount { mountToken(into: &object) }
    }

    /// The service account; for `default`, which the controller creates right after its namespace, a few tries over
    /// about a second, as upstream's live lookup does.
    private func serviceAccount(namespace: String, name: String) async throws -> JSONValue? {
        let reader = StoredObjects(storage: storage)
        let attempts = name == Self.defaultServiceAccount ? 10 : 1
        for attempt in 0..<attempts {
            if attempt > 0 { try await Task.sleep(for: .milliseconds(100)) }
            if let sa = try await reader.object("serviceaccounts", namespace: namespace, name: name) { return sa }
        }
        return nil
    }

    private func forbidden(_ pod: JSONValue, _ namespace: String, _ why: String) -> StatusError {
        let name = pod.metaName.isEmpty ? (pod[path: ["metadata", "generateName"]]?.string ?? "") : pod.metaName
        return StatusError.forbidden("pods \"\(name)\" is forbidden: \(why)", resource: GroupResource(group: "", resource: "pods"), name: name)
    }

    private func mountToken(into pod: inout JSONValue) {
        var volumes = pod[path: ["spec", "volumes"]]?.array ?? []
        let existing = volumes.first { ($0["name"]?.string ?? "").hasPrefix(Self.volumePrefix) }?["name"]?.string
        let volumeName = existing ?? Self.volumePrefix + RandomNames.suffix()
        var needsVolume = false
        for list in ["initContainers", "containers"] {
            guard var containers = pod[path: ["spec", list]]?.array else { continue }
            for i in containers.indices {
                var mounts = containers[i]["volumeMounts"]?.array ?? []
                // A container that mounts something at the path already keeps it.
                if mounts.contains(where: { $0["mountPath"]?.string == Self.mountPath }) { continue }
                mounts.append(["name": .string(volumeName), "readOnly": true, "mountPath": .string(Self.mountPath)])
                containers[i]["volumeMounts"] = .array(mounts)
                needsVolume = true
            }
            pod[path: ["spec", list]] = .array(containers)
        }
        guard needsVolume, existing == nil else { return }
        volumes.append([
            "name": .string(volumeName),
            "projected": [
                "sources": [
                    ["serviceAccountToken": ["expirationSeconds": .int(ServiceAccountTokenSettings.warnOnlyExpirationSeconds), "path": "token"]],
                    ["configMap": ["name": .string(Self.rootCAConfigMap), "items": [["key": "ca.crt", "path": "ca.crt"]]]],
                    ["downwardAPI": ["items": [["path": "namespace", "fieldRef": ["apiVersion": "v1", "fieldPath": "metadata.namespace"]]]]],
                ],
                "defaultMode": 420,
            ],
        ])
        pod[path: ["spec", "volumes"]] = .array(volumes)
    }
}
