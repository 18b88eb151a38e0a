import FoundationEssentials
import KubeAPI
import KubeClient
import KubeJSON

/// Why a container cannot be configured: it waits with reason `CreateContainerConfigError` and this message, and a
/// Warning `Failed` event says `Error: <message>`, as upstream's kuberuntime reports it.
public struct ContainerConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ContainerEnvironment {
    /// The container's environment from its spec, as upstream's kubelet builds it (makeEnvironmentVariables): every
    /// `envFrom` source first (keys that are not environment variable names skipped, with an
    /// `InvalidEnvironmentVariableNames` event), then each `env` entry in order — a `value` with `$(VAR)` expanded
    /// against what is defined so far and the Services' variables, or its `valueFrom` resolved — replacing what came
    /// before, then the Services' variables (ServiceEnvironment). ConfigMaps and Secrets
    /// are read through the node's client; one that is missing (or a missing key) fails the container unless the
    /// reference is `optional`. Both runtimes call this; `podIPs` defaults to the node's IP (host-process pods).
    static func resolve(container: Container, pod: KubeletPod, context: RuntimeContext,
                        podIPs: [String]? = nil) async throws(ContainerConfigError) -> [(String, String)] {
        var sources = ReferencedObjects(api: context.api, namespace: pod.namespace)
        let services = try await ServiceEnvironment.variables(for: pod, api: context.api)
        let serviceValues = Dictionary(services, uniquingKeysWith: { _, last in last })
        var env = OrderedEnvironment()
        func set(_ name: String, _ value: String) { env.set(name, value) }

        for source in container.envFrom ?? [] {
            let prefix = source.prefix ?? ""
            let data: [(String, String)]
            let what: String
            let name: String
            if let ref = source.configMapRef {
                name = ref.name ?? ""
                what = "configMap"
                guard let found = try await sources.configMap(name, optional: ref.optional ?? false) else { continue }
                data = found
            } else if let ref = source.secretRef {
                name = ref.name ?? ""
                what = "secret"
                guard let found = try await sources.secret(name, optional: ref.optional ?? false) else { continue }
                data = found
            } else {
                continue
            }
            var invalid: [String] = []
            for (key, value) in data {
                let variable = prefix + key
                guard isEnvVarName(variable) else {
                    invalid.append(variable)
                    continue
                }
                set(variable, value)
            }
            if !invalid.isEmpty {
                context.events?.emit(PodEvent(
                    podUID: pod.uid, container: "", type: "Warning", reason: "InvalidEnvironmentVariableNames",
                    message: "Keys [\(invalid.sorted().joined(separator: ", "))] from the EnvFrom \(what) \(pod.namespace)/\(name) were skipped since they are considered invalid environment variable names."))
            }
        }

        for variable in container.env ?? [] {
            let value: String
            if let literal = variable.value, !literal.isEmpty {
                value = expand(literal) { name in env[name] ?? serviceValues[name] }
            } else if let from = variable.valueFrom {
                if let field = from.fieldRef {
                    let hostIP = context.settings.nodeIP ?? HostInfo.primaryIPv4() ?? "127.0.0.1"
                    value = try fieldValue(field.fieldPath, pod: pod, hostIP: hostIP, podIPs: podIPs)
                } else if let field = from.resourceFieldRef {
                    value = try ResourceFieldValue.value(field, container: container, pod: pod.pod,
                                                         allocatable: HostInfo.capacity(rootDir: context.settings.rootDir, maxPods: 110))
                } else if let ref = from.configMapKeyRef {
                    let optional = ref.optional ?? false
                    guard let data = try await sources.configMap(ref.name ?? "", optional: optional) else { continue }
                    guard let found = data.last(where: { $0.0 == ref.key }) else {
                        if optional { continue }
                        throw ContainerConfigError("couldn't find key \(ref.key) in ConfigMap \(pod.namespace)/\(ref.name ?? "")")
                    }
                    value = found.1
                } else if let ref = from.secretKeyRef {
                    let optional = ref.optional ?? false
                    guard let data = try await sources.secret(ref.name ?? "", optional: optional) else { continue }
                    guard let found = data.last(where: { $0.0 == ref.key }) else {
                        if optional { continue }
                        throw ContainerConfigError("couldn't find key \(ref.key) in Secret \(pod.namespace)/\(ref.name ?? "")")
                    }
                    value = found.1
                } else {
                    value = ""
                }
            } else {
                value = ""
            }
            set(variable.name, value)
        }
        // The Services' variables last, unless the pod defines one of the same name.
        for (name, value) in services where env[name] == nil { env.set(name, value) }
        return env.variables
    }

    /// What a host process gets: a PATH, HOSTNAME and HOME (an image would bring its own), then the pod's variables.
    static func hostProcessEnvironment(_ resolved: [(String, String)], hostname: String) -> [(String, String)] {
        var env = OrderedEnvironment()
        for (name, value) in [("PATH", HostProcess.defaultPath), ("HOSTNAME", hostname), ("HOME", "/root")] + resolved {
            env.set(name, value)
        }
        return env.variables
    }

    /// The downward API's pod fields (upstream's podFieldSelectorRuntimeValue and ExtractFieldPathAsString).
    static func fieldValue(_ fieldPath: String, pod: KubeletPod, hostIP: String,
                           podIPs: [String]?) throws(ContainerConfigError) -> String {
        let ips = podIPs ?? [hostIP]
        switch fieldPath {
        case "metadata.name": return pod.name
        case "metadata.namespace": return pod.namespace
        case "metadata.uid": return pod.uid
        case "spec.nodeName": return pod.pod.spec.nodeName ?? ""
        case "spec.serviceAccountName": return pod.pod.spec.serviceAccountName ?? ""
        case "status.hostIP": return hostIP
        case "status.hostIPs": return hostIP
        case "status.podIP": return ips.first ?? ""
        case "status.podIPs": return ips.joined(separator: ",")
        case "metadata.labels": return GoFormat.formatMap(pod.pod.metadata.labels ?? [:])
        case "metadata.annotations": return GoFormat.formatMap(pod.pod.metadata.annotations ?? [:])
        default:
            if let value = mapEntry(fieldPath, pod: pod) { return value }
            if fieldPath.hasPrefix("metadata.labels['") || fieldPath.hasPrefix("metadata.annotations['") { return "" }
            throw ContainerConfigError("unsupported fieldPath: \(fieldPath)")
        }
    }

    /// apimachinery's IsEnvVarName: `[-._a-zA-Z][-._a-zA-Z0-9]*`.
    static func isEnvVarName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first else { return false }
        func letter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "-" || c == "." || c == "_" }
        return letter(first) && name.unicodeScalars.allSatisfy { letter($0) || ("0"..."9").contains($0) }
    }
}

/// Variables in the order they were last set, a later one of the same name replacing the earlier; each set and
/// lookup costs the same however many there are (an `envFrom` ConfigMap may hold thousands of keys).
struct OrderedEnvironment {
    private var entries: [(String, String)?] = []
    private var positions: [String: Int] = [:]

    mutating func set(_ name: String, _ value: String) {
        if let old = positions[name] { entries[old] = nil }
        positions[name] = entries.count
        entries.append((name, value))
    }

    subscript(_ name: String) -> String? { positions[name].flatMap { entries[$0]?.1 } }

    var variables: [(String, String)] { entries.compactMap { $0 } }
}

/// The ConfigMaps and Secrets one container's environment reads, each fetched once per start (upstream's
/// per-call maps in makeEnvironmentVariables).
struct ReferencedObjects {
    let api: (any KubernetesClient)?
    let namespace: String
    private var configMaps: [String: [(String, String)]?] = [:]
    private var secrets: [String: [(String, String)]?] = [:]

    init(api: (any KubernetesClient)?, namespace: String) {
        self.api = api
        self.namespace = namespace
    }

    /// The ConfigMap's `data`; nil when it does not exist and the reference is optional.
    mutating func configMap(_ name: String, optional: Bool) async throws(ContainerConfigError) -> [(String, String)]? {
        if let cached = configMaps[name] { return try present(cached, "configmap", name, optional) }
        let object = try await fetch(.configMaps, kind: "configMap", name)
        let data = object.map { json -> [(String, String)] in
            let entries: [String: JSONValue] = json["data"]?.object ?? [:]
            return entries.keys.sorted().map { key in (key, entries[key]?.string ?? "") }
        }
        configMaps[name] = data
        return try present(data, "configmap", name, optional)
    }

    /// The Secret's `data`, decoded; nil when it does not exist and the reference is optional.
    mutating func secret(_ name: String, optional: Bool) async throws(ContainerConfigError) -> [(String, String)]? {
        if let cached = secrets[name] { return try present(cached, "secret", name, optional) }
        let object = try await fetch(.secrets, kind: "secret", name)
        let data = object.map { json -> [(String, String)] in
            let entries: [String: JSONValue] = json["data"]?.object ?? [:]
            return entries.keys.sorted().map { key in
                (key, String(decoding: Base64.decode(entries[key]?.string ?? "") ?? [], as: UTF8.self))
            }
        }
        secrets[name] = data
        return try present(data, "secret", name, optional)
    }

    private func present(_ data: [(String, String)]?, _ resource: String, _ name: String,
                         _ optional: Bool) throws(ContainerConfigError) -> [(String, String)]? {
        if let data { return data }
        if optional { return nil }
        // The kubelet's object cache words it with the singular resource name.
        throw ContainerConfigError("\(resource) \"\(name)\" not found")
    }

    /// nil when the object does not exist.
    private func fetch(_ resource: ResourceType, kind: String, _ name: String) async throws(ContainerConfigError) -> JSONValue? {
        guard let api else {
            throw ContainerConfigError("couldn't get \(kind) \(namespace)/\(name), no kubeClient defined")
        }
        guard !name.isEmpty else { return nil }
        do {
            return try await api.get(resource, namespace: namespace, name: name)
        } catch let failure as APIError where failure.isNotFound {
            return nil
        } catch {
            throw ContainerConfigError("\(error)")
        }
    }
}
