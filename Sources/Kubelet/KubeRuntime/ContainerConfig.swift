import CRIClient
import FoundationEssentials
import KubeAPI

/// ContainerConfig for one container of a pod (upstream's generateContainerConfig): image, command/args, env,
/// working dir, mounts, log path, stdin/tty, labels/annotations, resources and the Linux security context.
enum ContainerConfigBuilder {
    static func build(_ container: Container, pod kpod: KubeletPod, imageRef: String, attempt: Int,
                      environment: [(String, String)], mounts: [ContainerMount],
                      namespaceTarget: String? = nil) -> Runtime_V1_ContainerConfig {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = container.name
        config.metadata.attempt = UInt32(clamping: attempt)
        config.image.image = imageRef
        config.image.userSpecifiedImage = container.image ?? ""
        // command replaces the image's ENTRYPOINT and args its CMD, in the CRI as in the pod spec; both are expanded
        // against the container's environment as upstream does.
        let lookup: (String) -> String? = { name in environment.last { $0.0 == name }?.1 }
        config.command = (container.command ?? []).map { ContainerEnvironment.expand($0, lookup) }
        config.args = (container.args ?? []).map { ContainerEnvironment.expand($0, lookup) }
        config.workingDir = container.workingDir ?? ""
        config.envs = environment.map { name, value in
            var kv = Runtime_V1_KeyValue()
            kv.key = name
            kv.value = value
            return kv
        }
        config.mounts = mounts.map { m in
            var mount = Runtime_V1_Mount()
            mount.hostPath = m.hostPath
            mount.containerPath = m.containerPath
            mount.readonly = m.readOnly
            return mount
        }
        config.logPath = "\(container.name)/\(attempt).log"
        config.stdin = container.stdin ?? false
        config.tty = container.tty ?? false
        config.labels = [
            KubeRuntimeLabels.podName: kpod.name, KubeRuntimeLabels.podNamespace: kpod.namespace,
            KubeRuntimeLabels.podUID: kpod.uid, KubeRuntimeLabels.containerName: container.name,
        ]
        config.annotations = [
            KubeRuntimeLabels.restartCount: String(attempt),
            KubeRuntimeLabels.terminationGracePeriod: String(kpod.pod.spec.terminationGracePeriodSeconds ?? 30),
            "io.kubernetes.container.terminationMessagePath": container.terminationMessagePath ?? "/dev/termination-log",
        ]
        var linux = Runtime_V1_LinuxContainerConfig()
        linux.resources = resources(container, pod: kpod)
        linux.securityContext = securityContext(container, pod: kpod)
        // An ephemeral container with a target joins the target's PID namespace, unless the pod shares one anyway
        // (host PID or shareProcessNamespace), as upstream's kubelet decides.
        if let namespaceTarget, linux.securityContext.namespaceOptions.pid == .container {
            linux.securityContext.namespaceOptions.pid = .target
            linux.securityContext.namespaceOptions.targetID = namespaceTarget
        }
        config.linux = linux
        return config
    }

    /// Upstream's conversion (kuberuntime_container_linux.go): CPU shares from the request (the limit when no request,
    /// at least 2), CFS quota from the limit over a 100 ms period, the memory limit in bytes, and the OOM score by
    /// QoS class.
    static func resources(_ container: Container, pod: KubeletPod, memoryCapacity: Int64 = HostInfo.memoryBytes()) -> Runtime_V1_LinuxContainerResources {
        var out = Runtime_V1_LinuxContainerResources()
        let limits = container.resources?.limits ?? [:]
        let requests = container.resources?.requests ?? [:]
        let cpuLimit = limits["cpu"].flatMap(QuotaQuantity.init)?.millis ?? 0
        let cpuRequest = requests["cpu"].flatMap(QuotaQuantity.init)?.millis ?? cpuLimit
        out.cpuShares = max(2, cpuRequest.multipliedReportingOverflow(by: 1024).partialValue / 1000)
        if cpuLimit > 0 {
            out.cpuPeriod = 100_000
            out.cpuQuota = max(1000, cpuLimit.multipliedReportingOverflow(by: 100_000).partialValue / 1000)
        }
        let memoryLimit = (limits["memory"].flatMap(QuotaQuantity.init)?.millis ?? 0) / 1000
        if memoryLimit > 0 { out.memoryLimitInBytes = memoryLimit }
        let memoryRequest = (requests["memory"].flatMap(QuotaQuantity.init)?.millis ?? memoryLimit * 1000) / 1000
        switch PodStatusBuilder.qosClass(pod) {
        case "Guaranteed": out.oomScoreAdj = -997
        case "BestEffort": out.oomScoreAdj = 1000
        default:
            let capacity = max(memoryCapacity, 1)
            let score = 1000 - (1000 * Double(memoryRequest) / Double(capacity))
            out.oomScoreAdj = Int64(min(999, max(2, score.isFinite ? score : 999)))
        }
        return out
    }

    static func securityContext(_ container: Container, pod: KubeletPod) -> Runtime_V1_LinuxContainerSecurityContext {
        var out = Runtime_V1_LinuxContainerSecurityContext()
        let context = container.securityContext
        let podContext = pod.pod.spec.securityContext
        out.privileged = context?.privileged ?? false
        if let user = context?.runAsUser ?? podContext?.runAsUser { out.runAsUser.value = user }
        if let group = context?.runAsGroup ?? podContext?.runAsGroup { out.runAsGroup.value = group }
        out.readonlyRootfs = context?.readOnlyRootFilesystem ?? false
        out.noNewPrivs = context?.allowPrivilegeEscalation == false
        if let capabilities = context?.capabilities {
            out.capabilities.addCapabilities = capabilities.add ?? []
            out.capabilities.dropCapabilities = capabilities.drop ?? []
        }
        if let fsGroup = podContext?.fsGroup { out.supplementalGroups = [fsGroup] }
        let spec = pod.pod.spec
        out.namespaceOptions.network = spec.hostNetwork == true ? .node : .pod
        out.namespaceOptions.pid = spec.hostPID == true ? .node : (spec.shareProcessNamespace == true ? .pod : .container)
        out.namespaceOptions.ipc = spec.hostIPC == true ? .node : .pod
        if !out.privileged {
            // Upstream masks these /proc paths in every unprivileged container (the runtime's defaults).
            out.maskedPaths = ["/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                               "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"]
            out.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
        return out
    }
}
