/// Upstream's defaulting for pods (pkg/apis/core/v1/defaults.go), the part that matters to a node.
public enum PodDefaults {
    public static func apply(_ pod: inout Pod) {
        if pod.metadata.namespace?.isEmpty ?? true { pod.metadata.namespace = "default" }
        var spec = pod.spec
        if spec.restartPolicy?.isEmpty ?? true { spec.restartPolicy = "Always" }
        if spec.dnsPolicy?.isEmpty ?? true { spec.dnsPolicy = "ClusterFirst" }
        if spec.terminationGracePeriodSeconds == nil { spec.terminationGracePeriodSeconds = 30 }
        if spec.schedulerName?.isEmpty ?? true { spec.schedulerName = "default-scheduler" }
        if spec.securityContext == nil { spec.securityContext = PodSecurityContext() }
        if spec.enableServiceLinks == nil { spec.enableServiceLinks = true }
        spec.containers = spec.containers.map(defaulted)
        spec.initContainers = spec.initContainers?.map(defaulted)
        spec.volumes = spec.volumes?.map { volume in
            var v = volume
            if v.hostPath != nil, v.hostPath?.type == nil { v.hostPath?.type = "" }
            return v
        }
        pod.spec = spec
    }

    static func defaulted(_ container: Container) -> Container {
        var c = container
        if c.terminationMessagePath == nil { c.terminationMessagePath = "/dev/termination-log" }
        if c.terminationMessagePolicy == nil { c.terminationMessagePolicy = "File" }
        if c.imagePullPolicy == nil {
            let image = c.image ?? ""
            let tag = image.split(separator: "/").last.flatMap { $0.split(separator: ":").dropFirst().first }
            c.imagePullPolicy = (tag == nil || tag == "latest") && !image.contains("@") ? "Always" : "IfNotPresent"
        }
        c.ports = c.ports?.map { var p = $0; if p.protocol == nil { p.protocol = "TCP" }; return p }
        c.livenessProbe = c.livenessProbe.map(defaulted)
        c.readinessProbe = c.readinessProbe.map(defaulted)
        c.startupProbe = c.startupProbe.map(defaulted)
        return c
    }

    /// SetDefaults_Probe's timings and thresholds by field name (the apiserver defaults probes in JSON with these):
    /// Go's zero value means unset, so 0 takes the default as a missing field does.
    public static let probeDefaults: [(field: String, value: Int32)] = [
        ("timeoutSeconds", 1), ("periodSeconds", 10), ("successThreshold", 1), ("failureThreshold", 3),
    ]

    static func probeDefault(_ field: String) -> Int32 {
        probeDefaults.first { $0.field == field }?.value ?? 0
    }

    static func defaulted(_ probe: Probe) -> Probe {
        var p = probe
        if p.timeoutSeconds == nil || p.timeoutSeconds == 0 { p.timeoutSeconds = probeDefault("timeoutSeconds") }
        if p.periodSeconds == nil || p.periodSeconds == 0 { p.periodSeconds = probeDefault("periodSeconds") }
        if p.successThreshold == nil || p.successThreshold == 0 { p.successThreshold = probeDefault("successThreshold") }
        if p.failureThreshold == nil || p.failureThreshold == 0 { p.failureThreshold = probeDefault("failureThreshold") }
        if p.initialDelaySeconds == nil { p.initialDelaySeconds = 0 }
        if var http = p.httpGet {
            if http.path?.isEmpty ?? true { http.path = "/" }
            if http.scheme?.isEmpty ?? true { http.scheme = "HTTP" }
            p.httpGet = http
        }
        return p
    }
}
