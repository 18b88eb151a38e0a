import CRIClient
import FoundationEssentials
import KubeAPI

/// The labels and annotations upstream's kubelet puts on sandboxes and containers; the kubelet finds its own pods in
/// the runtime by them after a restart (as upstream's kuberuntime does).
enum KubeRuntimeLabels {
    static let podName = "io.kubernetes.pod.name"
    static let podNamespace = "io.kubernetes.pod.namespace"
    static let podUID = "io.kubernetes.pod.uid"
    static let containerName = "io.kubernetes.container.name"
    static let restartCount = "io.kubernetes.container.restartCount"
    static let terminationGracePeriod = "io.kubernetes.pod.terminationGracePeriod"
    static let containerHash = "io.kubernetes.container.hash"
}

/// PodSandboxConfig for a pod (upstream's generatePodSandboxConfig): metadata, hostname, log directory, DNS,
/// port mappings, labels/annotations, and the Linux namespaces and cgroup parent.
enum SandboxConfigBuilder {
    static func build(_ kpod: KubeletPod, attempt: UInt32, podLogsDir: String, resolvConf: String = "/etc/resolv.conf") -> Runtime_V1_PodSandboxConfig {
        let pod = kpod.pod
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = kpod.name
        config.metadata.namespace = kpod.namespace
        config.metadata.uid = kpod.uid
        config.metadata.attempt = attempt
        // A pod on the host's network shares the host's UTS namespace: the runtime must not set a hostname there.
        if pod.spec.hostNetwork != true { config.hostname = hostname(kpod) }
        config.logDirectory = "\(podLogsDir)/\(kpod.namespace)_\(kpod.name)_\(kpod.uid)"
        if pod.spec.hostNetwork != true || pod.spec.dnsPolicy == "ClusterFirstWithHostNet" {
            config.dnsConfig = dnsConfig(resolvConf: resolvConf, namespace: kpod.namespace)
        }
        var labels = pod.metadata.labels ?? [:]
        labels[KubeRuntimeLabels.podName] = kpod.name
        labels[KubeRuntimeLabels.podNamespace] = kpod.namespace
        labels[KubeRuntimeLabels.podUID] = kpod.uid
        config.labels = labels
        var annotations = pod.metadata.annotations ?? [:]
        annotations[KubeRuntimeLabels.terminationGracePeriod] = String(pod.spec.terminationGracePeriodSeconds ?? 30)
        config.annotations = annotations
        for container in pod.spec.containers {
            for port in container.ports ?? [] where (port.hostPort ?? 0) > 0 {
                var mapping = Runtime_V1_PortMapping()
                mapping.containerPort = port.containerPort
                mapping.hostPort = port.hostPort ?? 0
                mapping.hostIp = port.hostIP ?? ""
                mapping.protocol = switch port.protocol ?? "TCP" {
                case "UDP": .udp
                case "SCTP": .sctp
                default: .tcp
                }
                config.portMappings.append(mapping)
            }
        }
        var linux = Runtime_V1_LinuxPodSandboxConfig()
        linux.cgroupParent = cgroupParent(kpod)
        var security = Runtime_V1_LinuxSandboxSecurityContext()
        security.namespaceOptions.network = pod.spec.hostNetwork == true ? .node : .pod
        security.namespaceOptions.pid = pod.spec.hostPID == true ? .node : (pod.spec.shareProcessNamespace == true ? .pod : .container)
        security.namespaceOptions.ipc = pod.spec.hostIPC == true ? .node : .pod
        security.privileged = ((pod.spec.initContainers ?? []) + pod.spec.containers).contains { $0.securityContext?.privileged == true }
        if let user = pod.spec.securityContext?.runAsUser { security.runAsUser.value = user }
        if let group = pod.spec.securityContext?.runAsGroup { security.runAsGroup.value = group }
        if let fsGroup = pod.spec.securityContext?.fsGroup { security.supplementalGroups = [fsGroup] }
        linux.securityContext = security
        config.linux = linux
        return config
    }

    /// spec.hostname, else the pod's name, truncated to 63 characters as upstream's GeneratePodHostNameAndDomain.
    static func hostname(_ kpod: KubeletPod) -> String {
        let name = kpod.pod.spec.hostname.flatMap { $0.isEmpty ? nil : $0 } ?? kpod.name
        guard name.count > 63 else { return name }
        var cut = String(name.prefix(63))
        while cut.hasSuffix("-") || cut.hasSuffix(".") { cut.removeLast() }
        return cut
    }

    /// The cgroup the pod's containers live under, by QoS class as upstream's cgroupfs layout
    /// (`/kubepods/pod<uid>`, `/kubepods/burstable/pod<uid>`, `/kubepods/besteffort/pod<uid>`).
    static func cgroupParent(_ kpod: KubeletPod) -> String {
        switch PodStatusBuilder.qosClass(kpod) {
        case "Guaranteed": "/kubepods/pod\(kpod.uid)"
        case "Burstable": "/kubepods/burstable/pod\(kpod.uid)"
        default: "/kubepods/besteffort/pod\(kpod.uid)"
        }
    }

    /// The host's resolver, as upstream's `Default` DNS policy (no cluster DNS runs yet; ClusterFirst falls back to
    /// it as upstream does without --cluster-dns).
    static func dnsConfig(resolvConf: String, namespace: String) -> Runtime_V1_DNSConfig {
        var dns = Runtime_V1_DNSConfig()
        guard let data = FileManager.default.contents(atPath: resolvConf) else { return dns }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let key = fields.first, fields.count > 1 else { continue }
            switch key {
            case "nameserver": dns.servers.append(fields[1])
            case "search": dns.searches = Array(fields.dropFirst())
            case "options": dns.options = Array(fields.dropFirst())
            default: break
            }
        }
        // Upstream's limits: at most 3 nameservers and 32 search domains reach the container.
        dns.servers = Array(dns.servers.prefix(3))
        dns.searches = Array(dns.searches.prefix(32))
        return dns
    }
}
