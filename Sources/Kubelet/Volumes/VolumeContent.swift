import FoundationEssentials
import Glibc
import KubeAPI
import KubeJSON

/// The files of the API-data volumes (configMap, secret, downwardAPI, and the same inside projected), built from
/// the objects as read, with upstream's rules for `items`, `mode`, `defaultMode` and `optional`.
enum VolumeContent {
    /// 0644, the API's default for `defaultMode` of every API-data volume (secrets included).
    static let defaultMode: mode_t = 0o644

    static func mode(_ value: Int32?, default fallback: mode_t) -> mode_t {
        guard let value, value >= 0, value <= 0o777 else { return fallback }
        return mode_t(value)
    }

    /// A ConfigMap's keys (`data`, and `binaryData` base64-decoded) as files. `configMap` nil: not found, which
    /// is an error unless optional. With `items`, only the keys listed, each at its path.
    static func configMap(_ configMap: JSONValue?, name: String, items: [KeyToPath]?, optional: Bool, mode: mode_t) throws(VolumeError) -> [String: FileProjection] {
        guard let configMap else {
            if optional { return [:] }
            throw VolumeError("configmap \"\(name)\" not found")
        }
        var values: [String: [UInt8]] = [:]
        for (key, value) in configMap["data"]?.object ?? [:] { values[key] = Array((value.string ?? "").utf8) }
        for (key, value) in configMap["binaryData"]?.object ?? [:] {
            guard let decoded = Data(base64Encoded: value.string ?? "") else {
                throw VolumeError("configmap \"\(name)\": binaryData key \(key) is not valid base64")
            }
            values[key] = Array(decoded)
        }
        return try project(values, items: items, optional: optional, mode: mode) { "configmap references non-existent config key: \($0)" }
    }

    /// A Secret's `data` (base64-decoded) as files, as `configMap` does.
    static func secret(_ secret: JSONValue?, name: String, items: [KeyToPath]?, optional: Bool, mode: mode_t) throws(VolumeError) -> [String: FileProjection] {
        guard let secret else {
            if optional { return [:] }
            throw VolumeError("secret \"\(name)\" not found")
        }
        var values: [String: [UInt8]] = [:]
        for (key, value) in secret["data"]?.object ?? [:] {
            guard let decoded = Data(base64Encoded: value.string ?? "") else {
                throw VolumeError("secret \"\(name)\": data key \(key) is not valid base64")
            }
            values[key] = Array(decoded)
        }
        for (key, value) in secret["stringData"]?.object ?? [:] { values[key] = Array((value.string ?? "").utf8) }
        return try project(values, items: items, optional: optional, mode: mode) { "references non-existent secret key: \($0)" }
    }

    private static func project(_ values: [String: [UInt8]], items: [KeyToPath]?, optional: Bool, mode: mode_t,
                                missing: (String) -> String) throws(VolumeError) -> [String: FileProjection] {
        var out: [String: FileProjection] = [:]
        guard let items, !items.isEmpty else {
            for (key, value) in values { out[key] = FileProjection(value, mode: mode) }
            return out
        }
        for item in items {
            guard let value = values[item.key] else {
                if optional { continue }
                throw VolumeError(missing(item.key))
            }
            out[item.path] = FileProjection(value, mode: Self.mode(item.mode, default: mode))
        }
        return out
    }

    /// downwardAPI items: the pod's name, namespace, uid, labels and annotations (whole or one key), and a
    /// container's resource requests and limits.
    static func downwardAPI(_ items: [DownwardAPIVolumeFile], pod: KubeletPod, mode: mode_t) throws(VolumeError) -> [String: FileProjection] {
        var out: [String: FileProjection] = [:]
        for item in items {
            let text: String
            if let field = item.fieldRef?.fieldPath {
                text = try fieldValue(field, pod: pod)
            } else if let resource = item.resourceFieldRef {
                text = try resourceValue(resource, pod: pod)
            } else {
                throw VolumeError("downwardAPI item \(item.path): one of fieldRef and resourceFieldRef is required")
            }
            out[item.path] = FileProjection(text, mode: Self.mode(item.mode, default: mode))
        }
        return out
    }

    static func fieldValue(_ field: String, pod: KubeletPod) throws(VolumeError) -> String {
        let meta = pod.pod.metadata
        switch field {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod.uid
        case "metadata.labels": return GoFormat.formatMap(meta.labels ?? [:])
        case "metadata.annotations": return GoFormat.formatMap(meta.annotations ?? [:])
        default:
            if let value = ContainerEnvironment.mapEntry(field, pod: pod) { return value }
            if field.hasPrefix("metadata.labels['") || field.hasPrefix("metadata.annotations['") { return "" }
            throw VolumeError("unsupported fieldPath: \(field)")
        }
    }

    /// `limits.cpu`, `requests.memory`, …: the container's value divided by the divisor (default 1), rounded up as
    /// upstream; a limit not set is the node's capacity.
    static func resourceValue(_ selector: ResourceFieldSelector, pod: KubeletPod) throws(VolumeError) -> String {
        let containers = (pod.pod.spec.initContainers ?? []) + pod.pod.spec.containers
        guard let name = selector.containerName, let container = containers.first(where: { $0.name == name }) else {
            throw VolumeError("resourceFieldRef \(selector.resource): container \"\(selector.containerName ?? "")\" not found in the pod")
        }
        do {
            return try ResourceFieldValue.value(selector, container: container, pod: pod.pod,
                                                allocatable: HostInfo.capacity(rootDir: "/", maxPods: 110))
        } catch {
            throw VolumeError("resourceFieldRef \(selector.resource): \(error.message)")
        }
    }


}
