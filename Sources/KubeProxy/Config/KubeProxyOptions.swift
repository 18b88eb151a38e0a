import Foundation
import KubeAPI
import KubeCommand

/// `--config` and the flags merged into what kube-proxy runs with, checked, each problem naming its field or flag.
/// As upstream's defaulting, a zero or empty value in the file (kubeadm writes `qps: 0`, `syncPeriod: 0s`) means
/// the default.
extension KubeProxyCommand {
    /// What the command runs with once flags and the file are merged.
    public struct Options: Sendable, Equatable {
        public var kubeconfig: String?
        public var master: String?
        public var hostnameOverride: String?
        public var clusterCIDR: String?
        public var healthzBindAddress = "0.0.0.0:10256"
        public var metricsBindAddress = "127.0.0.1:10249"
        public var mode = "iptables"
        public var masqueradeAll = false
        public var masqueradeBit = 14
        public var minSyncPeriod = 1.0
        public var syncPeriod = 30.0
        public var qps = 5.0
        public var burst = 10
        public init() {}
    }

    /// Merges `--config` and the flags, and checks the result; each problem names its flag or field.
    public static func options(flags: ParsedFlags, file: KubeProxyConfiguration?) throws -> Options {
        var o = Options()
        var problems: [String] = []
        if let file {
            o.kubeconfig = file.clientConnection?.kubeconfig
            o.qps = file.clientConnection?.qps.flatMap { $0 > 0 ? $0 : nil } ?? o.qps
            o.burst = file.clientConnection?.burst.flatMap { $0 > 0 ? $0 : nil } ?? o.burst
            o.clusterCIDR = file.clusterCIDR
            o.healthzBindAddress = file.healthzBindAddress.flatMap { $0.isEmpty ? nil : $0 } ?? o.healthzBindAddress
            o.metricsBindAddress = file.metricsBindAddress.flatMap { $0.isEmpty ? nil : $0 } ?? o.metricsBindAddress
            o.hostnameOverride = file.hostnameOverride
            o.mode = file.mode ?? o.mode
            o.masqueradeAll = file.iptables?.masqueradeAll ?? false
            o.masqueradeBit = file.iptables?.masqueradeBit ?? o.masqueradeBit
            o.minSyncPeriod = file.iptables?.minSyncPeriod.flatMap { $0.nanoseconds > 0 ? $0.seconds : nil } ?? o.minSyncPeriod
            o.syncPeriod = file.iptables?.syncPeriod.flatMap { $0.nanoseconds > 0 ? $0.seconds : nil } ?? o.syncPeriod
        }
        func duration(_ name: String) -> Double? {
            guard flags.changed(name), let text = flags.string(name) else { return nil }
            guard let value = GoDuration(text) else {
                problems.append("invalid argument \"\(text)\" for \"--\(name)\" flag: expected a duration such as 30s")
                return nil
            }
            return value.seconds
        }
        if flags.changed("kubeconfig") { o.kubeconfig = flags.string("kubeconfig") }
        if flags.changed("master") { o.master = flags.string("master") }
        if flags.changed("hostname-override") { o.hostnameOverride = flags.string("hostname-override") }
        if flags.changed("cluster-cidr") { o.clusterCIDR = flags.string("cluster-cidr") }
        if flags.changed("healthz-bind-address") { o.healthzBindAddress = flags.string("healthz-bind-address") ?? "" }
        if flags.changed("metrics-bind-address") { o.metricsBindAddress = flags.string("metrics-bind-address") ?? "" }
        if flags.changed("proxy-mode") { o.mode = flags.string("proxy-mode") ?? "" }
        if flags.changed("masquerade-all") { o.masqueradeAll = flags.bool("masquerade-all") }
        do {
            if flags.changed("iptables-masquerade-bit") { o.masqueradeBit = try flags.int("iptables-masquerade-bit") ?? 14 }
            if flags.changed("kube-api-qps") { o.qps = try flags.float("kube-api-qps") ?? o.qps }
            if flags.changed("kube-api-burst") { o.burst = try flags.int("kube-api-burst") ?? o.burst }
        } catch { problems.append("\(error)") }
        o.minSyncPeriod = duration("iptables-min-sync-period") ?? o.minSyncPeriod
        o.syncPeriod = duration("iptables-sync-period") ?? o.syncPeriod
        if o.mode.isEmpty { o.mode = "iptables" }

        if o.mode != "iptables" {
            problems.append("mode: Invalid value: \"\(o.mode)\": this kube-proxy implements only \"iptables\"")
        }
        if !(0...31).contains(o.masqueradeBit) {
            problems.append("iptables.masqueradeBit: Invalid value: \(o.masqueradeBit): must be within the range [0, 31]")
        }
        if o.syncPeriod <= 0 { problems.append("iptables.syncPeriod: Invalid value: must be greater than 0") }
        if o.minSyncPeriod < 0 { problems.append("iptables.minSyncPeriod: Invalid value: must be greater than or equal to 0") }
        if let cidr = o.clusterCIDR, !cidr.isEmpty {
            // Dual-stack pairs are accepted; only the IPv4 range is used (this proxier programs iptables, not ip6tables).
            let ranges = cidr.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if ranges.contains(where: { !IPv4.isValidCIDR($0) && !$0.contains(":") }) {
                problems.append("clusterCIDR: Invalid value: \"\(cidr)\": must be a valid CIDR block or a comma-separated list of CIDR blocks")
            }
        }
        for (field, value) in [("healthzBindAddress", o.healthzBindAddress), ("metricsBindAddress", o.metricsBindAddress)] where !value.isEmpty {
            if hostPort(value) == nil { problems.append("\(field): Invalid value: \"\(value)\": must be IP:port") }
        }
        if o.qps <= 0 || o.burst <= 0 { problems.append("--kube-api-qps and --kube-api-burst must be greater than 0") }
        guard problems.isEmpty else { throw KubeProxyConfigError(problems.joined(separator: "; ")) }
        return o
    }

    /// The IPv4 range of `--cluster-cidr`, the one the masquerade rules use.
    static func ipv4ClusterCIDR(_ text: String?) -> String? {
        text?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.first(where: IPv4.isValidCIDR)
    }

    /// `host:port` or `[v6]:port`.
    static func hostPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }

    static func nodeName(_ override: String?) -> String {
        if let override, !override.isEmpty { return override.lowercased() }
        return ProcessInfo.processInfo.hostName.split(separator: ".").first.map { $0.lowercased() } ?? "localhost"
    }
}
