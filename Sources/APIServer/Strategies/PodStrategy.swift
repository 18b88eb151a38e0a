import KubeAPI
import KubeJSON

/// Pods: upstream's defaults (restartPolicy, dnsPolicy, grace period, imagePullPolicy, …), a status that starts
/// Pending with its QoS class, spec updates limited to what upstream allows, and graceful deletion for pods
/// bound to a node.
struct PodStrategy: ResourceStrategy {
    var hasStatusSubresource: Bool { true }
    var returnsDeletedObject: Bool { true }
    var objectSubresources: [String] { ["status", EphemeralContainers.subresource] }

    func objectForSubresourceUpdate(_ input: JSONValue, old: JSONValue, subresource: String) -> JSONValue? {
        subresource == EphemeralContainers.subresource ? EphemeralContainers.object(input, old: old) : nil
    }

    func prepareForCreate(_ object: inout JSONValue) {
        object["status"] = ["phase": "Pending", "qosClass": .string(Self.qosClass(object))]
    }

    func applyDefaults(_ spec: inout JSONValue) { Self.applyDefaults(&spec, template: false) }

    /// upstream's SetDefaults_PodSpec for pods and pod templates; SetDefaults_Pod's enableServiceLinks only for pods
    /// (priority and preemptionPolicy come from the Priority admission plugin).
    static func applyDefaults(_ spec: inout JSONValue, template: Bool) {
        var pod = spec
        func setDefault(_ path: [String], _ value: JSONValue) {
            if pod[path: path] == nil || pod[path: path] == .null { pod[path: path] = value }
        }
        setDefault(["spec", "restartPolicy"], "Always")
        setDefault(["spec", "dnsPolicy"], "ClusterFirst")
        setDefault(["spec", "terminationGracePeriodSeconds"], 30)
        setDefault(["spec", "schedulerName"], "default-scheduler")
        setDefault(["spec", "securityContext"], .emptyObject)
        if !template { setDefault(["spec", "enableServiceLinks"], true) }
        for kind in ["initContainers", "containers", "ephemeralContainers"] {
            guard var list = pod[path: ["spec", kind]]?.array else { continue }
            for i in list.indices {
                guard var c = list[i].object.map(JSONValue.object) else { continue }
                if c["terminationMessagePath"] == nil { c["terminationMessagePath"] = "/dev/termination-log" }
                if c["terminationMessagePolicy"] == nil { c["terminationMessagePolicy"] = "File" }
                if c["resources"] == nil { c["resources"] = .emptyObject }
                if c["imagePullPolicy"] == nil {
                    let image = c["image"]?.string ?? ""
                    c["imagePullPolicy"] = .string(Self.imageHasLatestTag(image) ? "Always" : "IfNotPresent")
                }
                // SetDefaults_ObjectFieldSelector: `kubectl describe` prints a fieldRef as `(v1:metadata.name)`.
                if var env = c["env"]?.array {
                    for e in env.indices where env[e][path: ["valueFrom", "fieldRef"]]?.object != nil
                        && env[e][path: ["valueFrom", "fieldRef", "apiVersion"]] == nil {
                        env[e][path: ["valueFrom", "fieldRef", "apiVersion"]] = "v1"
                    }
                    c["env"] = .array(env)
                }
                if var ports = c["ports"]?.array {
                    for p in ports.indices where ports[p]["protocol"] == nil { ports[p]["protocol"] = "TCP" }
                    c["ports"] = .array(ports)
                }
                for probe in ["livenessProbe", "readinessProbe", "startupProbe"] where c[probe]?.object != nil {
                    var p = c[probe] ?? .emptyObject
                    // SetDefaults_Probe: 0 is Go's unset, so `successThreshold: 0` is 1 as upstream stores it.
                    for (field, value) in PodDefaults.probeDefaults where p[field] == nil || p[field] == .null || p[field] == .int(0) {
                        p[field] = .int(Int64(value))
                    }
                    if p[path: ["httpGet"]]?.object != nil {
                        if p[path: ["httpGet", "path"]] == nil { p[path: ["httpGet", "path"]] = "/" }
                        if p[path: ["httpGet", "scheme"]] == nil { p[path: ["httpGet", "scheme"]] = "HTTP" }
                    }
                    c[probe] = p
                }
                list[i] = c
            }
            pod[path: ["spec", kind]] = .array(list)
        }
        if var volumes = pod[path: ["spec", "volumes"]]?.array {
            for i in volumes.indices {
                if volumes[i]["hostPath"]?.object != nil, volumes[i][path: ["hostPath", "type"]] == nil {
                    volumes[i][path: ["hostPath", "type"]] = ""
                }
                for source in ["configMap", "secret", "downwardAPI", "projected"] where volumes[i][source]?.object != nil {
                    if volumes[i][path: [source, "defaultMode"]] == nil { volumes[i][path: [source, "defaultMode"]] = 420 }
                }
                if var items = volumes[i][path: ["downwardAPI", "items"]]?.array {
                    Self.defaultFieldRefs(&items)
                    volumes[i][path: ["downwardAPI", "items"]] = .array(items)
                }
                if var sources = volumes[i][path: ["projected", "sources"]]?.array {
                    for j in sources.indices {
                        if var items = sources[j][path: ["downwardAPI", "items"]]?.array {
                            Self.defaultFieldRefs(&items)
                            sources[j][path: ["downwardAPI", "items"]] = .array(items)
                        }
                        // SetDefaults_ServiceAccountTokenProjection.
                        if sources[j]["serviceAccountToken"]?.object != nil, sources[j][path: ["serviceAccountToken", "expirationSeconds"]] == nil {
                            sources[j][path: ["serviceAccountToken", "expirationSeconds"]] = 3600
                        }
                    }
                    volumes[i][path: ["projected", "sources"]] = .array(sources)
                }
            }
            pod[path: ["spec", "volumes"]] = .array(volumes)
        }
        spec = pod
    }

    /// Downward API items name a field with `fieldRef`, whose apiVersion upstream defaults to v1.
    static func defaultFieldRefs(_ items: inout [JSONValue]) {
        for k in items.indices where items[k]["fieldRef"]?.object != nil && items[k][path: ["fieldRef", "apiVersion"]] == nil {
            items[k][path: ["fieldRef", "apiVersion"]] = "v1"
        }
    }

    static func imageHasLatestTag(_ image: String) -> Bool {
        if image.contains("@") { return false }
        let last = image.split(separator: "/").last.map(String.init) ?? image
        guard let colon = last.lastIndex(of: ":") else { return true }
        return last[last.index(after: colon)...] == "latest"
    }

    static func qosClass(_ pod: JSONValue) -> String {
        var anyRequest = false
        var allGuaranteed = true
        for c in (pod[path: ["spec", "containers"]]?.array ?? []) {
            let requests = c[path: ["resources", "requests"]]?.object ?? [:]
            let limits = c[path: ["resources", "limits"]]?.object ?? [:]
            if !requests.isEmpty || !limits.isEmpty { anyRequest = true }
            for r in ["cpu", "memory"] {
                guard let limit = limits[r] else { allGuaranteed = false; continue }
                if let request = requests[r], request != limit { allGuaranteed = false }
            }
        }
        if !anyRequest { return "BestEffort" }
        return allGuaranteed ? "Guaranteed" : "Burstable"
    }

    /// upstream's ValidatePodCreate: ephemeral containers come only through their subresource.
    func validate(_ pod: JSONValue) -> [FieldError] {
        var errors = validateSpec(pod)
        if !(pod[path: ["spec", "ephemeralContainers"]]?.array ?? []).isEmpty {
            errors.append(.forbidden("spec.ephemeralContainers", "cannot be set on create"))
        }
        return errors
    }

    func validateUpdate(_ pod: JSONValue, old: JSONValue, subresource: String) -> [FieldError] {
        guard subresource == EphemeralContainers.subresource else { return validateUpdate(pod, old: old) }
        return validateSpec(pod) + EphemeralContainers.validateUpdate(pod, old: old)
    }

    func validateSpec(_ pod: JSONValue) -> [FieldError] {
        var errors: [FieldError] = []
        let spec = pod["spec"] ?? .null
        let containers = spec["containers"]?.array ?? []
        if containers.isEmpty { errors.append(.required("spec.containers")) }
        let policies = ["Always", "OnFailure", "Never"]
        if let policy = spec["restartPolicy"]?.string, !policies.contains(policy) {
            errors.append(.notSupported("spec.restartPolicy", policy, policies))
        }
        let dnsPolicies = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
        if let policy = spec["dnsPolicy"]?.string, !dnsPolicies.contains(policy) {
            errors.append(.notSupported("spec.dnsPolicy", policy, dnsPolicies))
        }
        errors += NumericValidation.nonNegative(pod, ["spec", "terminationGracePeriodSeconds"])
        if let deadline = spec["activeDeadlineSeconds"]?.int, !(1...Int64(Int32.max)).contains(deadline) {
            errors.append(.invalid("spec.activeDeadlineSeconds", number: deadline, NumericValidation.range(1, Int64(Int32.max))))
        }
        var volumeNames = Set<String>()
        for (i, volume) in (spec["volumes"]?.array ?? []).enumerated() {
            let name = volume["name"]?.string ?? ""
            if name.isEmpty {
                errors.append(.required("spec.volumes[\(i)].name"))
            } else if !NameValidation.isDNS1123Label(name) {
                errors.append(.invalid("spec.volumes[\(i)].name", name, NameValidation.dns1123LabelMessage))
            } else if !volumeNames.insert(name).inserted {
                errors.append(.duplicate("spec.volumes[\(i)].name", name))
            }
        }
        var containerNames = Set<String>()
        for kind in ["initContainers", "containers"] {
            for (i, c) in (spec[kind]?.array ?? []).enumerated() {
                let path = "spec.\(kind)[\(i)]"
                let name = c["name"]?.string ?? ""
                if name.isEmpty {
                    errors.append(.required("\(path).name"))
                } else if !NameValidation.isDNS1123Label(name) {
                    errors.append(.invalid("\(path).name", name, NameValidation.dns1123LabelMessage))
                } else if !containerNames.insert(name).inserted {
                    errors.append(.duplicate("\(path).name", name))
                }
                if (c["image"]?.string ?? "").isEmpty { errors.append(.required("\(path).image")) }
                for (p, port) in (c["ports"]?.array ?? []).enumerated() {
                    if (port["containerPort"]?.int ?? 0) == 0 {
                        errors.append(.required("\(path).ports[\(p)].containerPort"))
                    } else {
                        errors += NumericValidation.port(port["containerPort"], field: "\(path).ports[\(p)].containerPort")
                    }
                    if let host = port["hostPort"], (host.int ?? 0) != 0 {
                        errors += NumericValidation.port(host, field: "\(path).ports[\(p)].hostPort")
                    }
                }
                errors += Self.validateProbes(c, path: path, isInit: kind == "initContainers")
                for (m, mount) in (c["volumeMounts"]?.array ?? []).enumerated() {
                    let mountName = mount["name"]?.string ?? ""
                    if !volumeNames.contains(mountName) { errors.append(.notFound("\(path).volumeMounts[\(m)].name", mountName)) }
                    if (mount["mountPath"]?.string ?? "").isEmpty { errors.append(.required("\(path).volumeMounts[\(m)].mountPath")) }
                }
                let pullPolicies = ["Always", "IfNotPresent", "Never"]
                if let policy = c["imagePullPolicy"]?.string, !pullPolicies.contains(policy) {
                    errors.append(.notSupported("\(path).imagePullPolicy", policy, pullPolicies))
                }
            }
        }
        errors += EphemeralContainers.validate(pod, volumeNames: volumeNames)
        return errors
    }

    /// upstream's validateProbe for each probe of a container: non-negative timings, a positive grace period, ports in
    /// range, and a success threshold of 1 where only 1 makes sense.
    static func validateProbes(_ container: JSONValue, path: String, isInit: Bool) -> [FieldError] {
        var errors: [FieldError] = []
        for name in ["livenessProbe", "readinessProbe", "startupProbe"] {
            guard let probe = container[name], probe.object != nil else { continue }
            let p = "\(path).\(name)"
            for field in ["initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold"] {
                if let n = probe[field]?.int, n < 0 { errors.append(.invalid("\(p).\(field)", number: n, NumericValidation.negative)) }
            }
            if let grace = probe["terminationGracePeriodSeconds"]?.int, grace <= 0 {
                errors.append(.invalid("\(p).terminationGracePeriodSeconds", number: grace, "must be greater than 0"))
            }
            if name != "readinessProbe", !isInit, let threshold = probe["successThreshold"]?.int, threshold != 1 {
                errors.append(.invalid("\(p).successThreshold", number: threshold, "must be 1"))
            }
            errors += NumericValidation.portNumberOrName(probe[path: ["httpGet", "port"]], field: "\(p).httpGet.port")
            errors += NumericValidation.portNumberOrName(probe[path: ["tcpSocket", "port"]], field: "\(p).tcpSocket.port")
            if let grpc = probe["grpc"], grpc.object != nil {
                errors += NumericValidation.port(grpc["port"], field: "\(p).grpc.port")
            }
        }
        return errors
    }

    /// Only images, activeDeadlineSeconds, added tolerations and the grace period may change on a pod.
    func validateUpdate(_ pod: JSONValue, old: JSONValue) -> [FieldError] {
        var errors = specUnchanged(pod, old, defaulted: applyDefaults) ? [] : validateSpec(pod)
        func mutableStripped(_ p: JSONValue) -> JSONValue {
            var spec = p["spec"] ?? .null
            for kind in ["initContainers", "containers"] {
                if var list = spec[kind]?.array {
                    for i in list.indices { list[i]["image"] = nil }
                    spec[kind] = .array(list)
                }
            }
            spec["activeDeadlineSeconds"] = nil
            spec["tolerations"] = nil
            spec["terminationGracePeriodSeconds"] = nil
            return spec
        }
        // The stored pod as today's defaults complete it, as the update was (an older binary may have stored a probe
        // threshold of 0, which is 1 now): a field the defaults alone changed is not a change the client made.
        var defaultedOld = old
        applyDefaults(&defaultedOld)
        if mutableStripped(pod) != mutableStripped(defaultedOld) {
            errors.append(.forbidden("spec", "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"))
        }
        if let oldNode = old[path: ["spec", "nodeName"]]?.string, !oldNode.isEmpty,
           pod[path: ["spec", "nodeName"]]?.string != oldNode {
            errors.append(.invalid("spec.nodeName", pod[path: ["spec", "nodeName"]]?.string ?? "", "field is immutable"))
        }
        return errors
    }

    func prepareForUpdate(_ object: inout JSONValue, old: JSONValue) {
        object["status"] = old["status"]
    }

    /// Bound pods wait for their kubelet; unbound or finished pods go at once (upstream's CheckGracefulDelete).
    func gracefulDeletionPeriod(_ pod: JSONValue, requested: Int?) -> Int? {
        if (pod[path: ["spec", "nodeName"]]?.string ?? "").isEmpty { return 0 }
        let phase = pod[path: ["status", "phase"]]?.string ?? ""
        if phase == "Failed" || phase == "Succeeded" { return 0 }
        if let requested { return max(0, requested) }
        return Int(pod[path: ["spec", "terminationGracePeriodSeconds"]]?.int ?? 30)
    }

    func selectableFields(_ pod: JSONValue) -> [String: String] {
        [
            "spec.nodeName": FieldSets.string(pod[path: ["spec", "nodeName"]]),
            "spec.restartPolicy": FieldSets.string(pod[path: ["spec", "restartPolicy"]]),
            "spec.schedulerName": FieldSets.string(pod[path: ["spec", "schedulerName"]]),
            "spec.serviceAccountName": FieldSets.string(pod[path: ["spec", "serviceAccountName"]]),
            "spec.hostNetwork": pod[path: ["spec", "hostNetwork"]]?.bool == true ? "true" : "false",
            "status.phase": FieldSets.string(pod[path: ["status", "phase"]]),
            "status.podIP": FieldSets.string(pod[path: ["status", "podIP"]]),
            "status.nominatedNodeName": FieldSets.string(pod[path: ["status", "nominatedNodeName"]]),
        ]
    }
}
