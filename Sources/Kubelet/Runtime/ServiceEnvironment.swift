import KubeAPI
import KubeClient
import KubeJSON

/// The variables upstream's kubelet gives every container for the Services it may reach (envvars.FromServices):
/// `<NAME>_SERVICE_HOST`, `<NAME>_SERVICE_PORT[_<PORT NAME>]` and Docker's link variables, for the `kubernetes`
/// Service of `default` always and for the pod's namespace's Services unless `enableServiceLinks` is false.
enum ServiceEnvironment {
    /// Read through the node's client for pods from the API. A static pod gets none: it may be the apiserver itself,
    /// and its start must not wait on the API.
    static func variables(for pod: KubeletPod, api: (any KubernetesClient)?) async throws(ContainerConfigError) -> [(String, String)] {
        guard let api, pod.source == .api else { return [] }
        var services: [String: Service] = [:]
        do {
            if pod.pod.spec.enableServiceLinks ?? true {
                for item in try await api.list(.services, namespace: pod.namespace).items {
                    if let service = try? JSONValueDecoder().decode(Service.self, from: item) { services[service.metadata.name ?? ""] = service }
                }
            }
            // The master service of `default` wins over one of the same name in the pod's namespace.
            if let master = try? JSONValueDecoder().decode(Service.self, from: try await api.get(.services, namespace: "default", name: "kubernetes")) {
                services["kubernetes"] = master
            }
        } catch let failure as APIError where failure.isNotFound {
            // No `kubernetes` Service yet.
        } catch {
            throw ContainerConfigError("failed to list services when setting up env vars")
        }
        return variables(services.values.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") })
    }

    static func variables(_ services: [Service]) -> [(String, String)] {
        var out: [(String, String)] = []
        for service in services {
            let ip = service.spec.clusterIP
            guard !ip.isEmpty, ip != "None", let ports = service.spec.ports, let first = ports.first else { continue }
            let prefix = variableName(service.metadata.name ?? "")
            out.append((prefix + "_SERVICE_HOST", ip))
            out.append((prefix + "_SERVICE_PORT", String(first.port)))
            for port in ports where !port.name.isEmpty {
                out.append((prefix + "_SERVICE_PORT_" + variableName(port.name), String(port.port)))
            }
            let host = ip.contains(":") ? "[\(ip)]" : ip
            for (i, port) in ports.enumerated() {
                let proto = port.protocol.isEmpty ? "TCP" : port.protocol
                let url = "\(proto.lowercased())://\(host):\(port.port)"
                if i == 0 { out.append((prefix + "_PORT", url)) }
                let portPrefix = "\(prefix)_PORT_\(port.port)_\(proto.uppercased())"
                out.append((portPrefix, url))
                out.append((portPrefix + "_PROTO", proto.lowercased()))
                out.append((portPrefix + "_PORT", String(port.port)))
                out.append((portPrefix + "_ADDR", ip))
            }
        }
        return out
    }

    /// `my-svc` → `MY_SVC`.
    static func variableName(_ name: String) -> String {
        String(name.uppercased().map { $0 == "-" ? "_" : $0 })
    }
}
