/// Upstream's pod validation (the parts that apply to a pod a node runs), returning every problem.
public enum PodValidation {
    public static let restartPolicies = ["Always", "OnFailure", "Never"]
    public static let hostPathTypes = ["", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket", "CharDevice", "BlockDevice"]

    public static func validate(_ pod: Pod) -> [FieldError] {
        var errors: [FieldError] = []
        let name = pod.metadata.name ?? ""
        if name.isEmpty {
            errors.append(.required("metadata.name", "name or generateName is required"))
        } else if !NameValidation.isDNS1123Subdomain(name) {
            errors.append(.invalid("metadata.name", name, NameValidation.dns1123SubdomainMessage))
        }
        if let ns = pod.metadata.namespace, !NameValidation.isDNS1123Label(ns) {
            errors.append(.invalid("metadata.namespace", ns, NameValidation.dns1123LabelMessage))
        }
        let spec = pod.spec
        if spec.containers.isEmpty { errors.append(.required("spec.containers")) }
        if let policy = spec.restartPolicy, !restartPolicies.contains(policy) {
            errors.append(.notSupported("spec.restartPolicy", policy, restartPolicies))
        }
        if let grace = spec.terminationGracePeriodSeconds, grace < 0 {
            errors.append(.invalid("spec.terminationGracePeriodSeconds", String(grace), "must be greater than or equal to 0"))
        }
        var volumeNames = Set<String>()
        for (i, volume) in (spec.volumes ?? []).enumerated() {
            let path = "spec.volumes[\(i)]"
            if !NameValidation.isDNS1123Label(volume.name) {
                errors.append(.invalid("\(path).name", volume.name, NameValidation.dns1123LabelMessage))
            }
            if !volumeNames.insert(volume.name).inserted { errors.append(.duplicate("\(path).name", volume.name)) }
            if let hostPath = volume.hostPath {
                if hostPath.path.isEmpty { errors.append(.required("\(path).hostPath.path")) }
                if let type = hostPath.type, !hostPathTypes.contains(type) {
                    errors.append(.notSupported("\(path).hostPath.type", type, hostPathTypes.filter { !$0.isEmpty }))
                }
            } else if volume.emptyDir == nil && volume.downwardAPI == nil {
                // The other sources reference API objects, which a static pod cannot.
                errors.append(FieldError(kind: .forbidden, field: path, value: nil,
                                         detail: "only hostPath, emptyDir and downwardAPI volumes can be used by a static pod"))
            }
        }
        var containerNames = Set<String>()
        for (kind, list) in [("initContainers", spec.initContainers ?? []), ("containers", spec.containers)] {
            for (i, container) in list.enumerated() {
                errors += validate(container, path: "spec.\(kind)[\(i)]", volumes: volumeNames, isInit: kind == "initContainers")
                if !containerNames.insert(container.name).inserted {
                    errors.append(.duplicate("spec.\(kind)[\(i)].name", container.name))
                }
            }
        }
        return errors
    }

    static func validate(_ c: Container, path: String, volumes: Set<String>, isInit: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        if c.name.isEmpty {
            errors.append(.required("\(path).name"))
        } else if !NameValidation.isDNS1123Label(c.name) {
            errors.append(.invalid("\(path).name", c.name, NameValidation.dns1123LabelMessage))
        }
        if c.image?.isEmpty ?? true { errors.append(.required("\(path).image")) }
        for (i, env) in (c.env ?? []).enumerated() where env.name.isEmpty {
            errors.append(.required("\(path).env[\(i)].name"))
        }
        for (i, mount) in (c.volumeMounts ?? []).enumerated() {
            if !volumes.contains(mount.name) {
                errors.append(FieldError(kind: .notSupported, field: "\(path).volumeMounts[\(i)].name", value: mount.name,
                                         detail: "not found in spec.volumes"))
            }
            if mount.mountPath.isEmpty { errors.append(.required("\(path).volumeMounts[\(i)].mountPath")) }
        }
        for (label, probe) in [("livenessProbe", c.livenessProbe), ("readinessProbe", c.readinessProbe), ("startupProbe", c.startupProbe)] {
            guard let probe else { continue }
            let p = "\(path).\(label)"
            if isInit { errors.append(FieldError(kind: .forbidden, field: p, value: nil, detail: "may not be set for init containers")) }
            let handlers = [probe.exec != nil, probe.httpGet != nil, probe.tcpSocket != nil].filter { $0 }.count
            if handlers == 0 { errors.append(.required(p, "must specify a handler type")) }
            if handlers > 1 { errors.append(FieldError(kind: .forbidden, field: p, value: nil, detail: "may not specify more than 1 handler type")) }
            if label != "readinessProbe", let s = probe.successThreshold, s != 1 {
                errors.append(.invalid("\(p).successThreshold", String(s), "must be 1"))
            }
            if let port = probe.httpGet?.port ?? probe.tcpSocket?.port, case .int(let n) = port, !(1...65535).contains(n) {
                errors.append(.invalid("\(p).\(probe.httpGet != nil ? "httpGet" : "tcpSocket").port", String(n), "must be between 1 and 65535, inclusive"))
            }
            if let scheme = probe.httpGet?.scheme, !["HTTP", "HTTPS"].contains(scheme) {
                errors.append(.notSupported("\(p).httpGet.scheme", scheme, ["HTTP", "HTTPS"]))
            }
        }
        return errors
    }
}
