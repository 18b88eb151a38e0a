import BootstrapWorkflow
import Foundation
import Glibc
import KubeCommand

/// kubeadm's preflight: each failed check is one `[ERROR Name]: reason` line (or `[WARNING Name]`), and
/// `--ignore-preflight-errors=Name,...|all` turns errors into warnings.
enum PreflightPhase {
    struct Check {
        var name: String
        var problem: String?
        var warningOnly = false
    }

    struct Failure: Error, CustomStringConvertible {
        let lines: [String]
        var description: String {
            "[preflight] Some fatal errors occurred:\n" + lines.map { "\t\($0)" }.joined(separator: "\n")
                + "\n[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`"
        }
    }

    static func make<D: InitData>() -> Phase<D> {
        Phase(name: "preflight", short: "Run pre-flight checks", inheritFlags: ["config", "ignore-preflight-errors", "dry-run", "cri-socket", "root-prefix"],
              run: { (data: D) in try run(data) })
    }

    static func portFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        // As the servers bind (SO_REUSEADDR): connections in TIME_WAIT do not make a port busy.
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func checks<D: InitData>(_ data: D) -> [Check] {
        let paths = data.paths
        var checks: [Check] = []
        checks.append(Check(name: "IsPrivilegedUser", problem: geteuid() == 0 || data.options.dryRun ? nil : "user is not running as root"))
        let ports = [data.settings.bindPort, paths.controllerManagerPort, paths.schedulerPort, paths.kubeletHealthzPort, paths.kubeletPort]
        for port in ports + (data.options.usesEtcd ? paths.etcdPorts : []) {
            checks.append(Check(name: "Port-\(port)", problem: portFree(port) || data.options.dryRun ? nil : "Port \(port) is in use"))
        }
        let manifests = (try? FileManager.default.contentsOfDirectory(atPath: paths.manifestsDir)) ?? []
        if !manifests.isEmpty {
            checks.append(Check(name: "DirAvailable-" + paths.manifestsDir.replacingOccurrences(of: "/", with: "-"),
                                problem: "\(paths.manifestsDir) is not empty"))
        }
        for file in ["admin.conf", "super-admin.conf", "kubelet.conf", "controller-manager.conf", "scheduler.conf"] {
            let path = data.kubeconfigDir + "/" + file
            if FileManager.default.fileExists(atPath: path) {
                checks.append(Check(name: "FileAvailable-" + path.replacingOccurrences(of: "/", with: "-"), problem: "\(path) already exists"))
            }
        }
        for binary in InitPaths.installedBinaries where binary != "bootstrap" {
            let candidates = [paths.sourceBinDir + "/" + binary, paths.binDir + "/" + binary]
            if !candidates.contains(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
                checks.append(Check(name: "FileExisting-\(binary)", problem: "\(binary) not found in \(paths.sourceBinDir) or \(paths.binDir)"))
            }
        }
        if data.options.usesEtcd {
            if paths.etcdBinary == nil {
                checks.append(Check(name: "FileExisting-etcd", problem: "etcd not found in /usr/bin or /usr/local/bin (--storage-backend=etcd3 runs it as a static pod; apt-get install etcd-server)"))
            }
            if !((try? FileManager.default.contentsOfDirectory(atPath: paths.etcdDataDir)) ?? []).isEmpty {
                checks.append(Check(name: "DirAvailable-" + paths.etcdDataDir.replacingOccurrences(of: "/", with: "-"),
                                    problem: "\(paths.etcdDataDir) is not empty"))
            }
            if data.options.controlPlaneMode == "systemd" {
                checks.append(Check(name: "StorageBackend", problem: "--storage-backend=etcd3 runs etcd as a static pod; use it with --control-plane-mode=static-pod"))
            }
        }
        if let swaps = try? String(contentsOfFile: "/proc/swaps", encoding: .utf8), swaps.split(separator: "\n").count > 1 {
            checks.append(Check(name: "Swap", problem: "swap is on; the Kubestrap kubelet runs regardless (failSwapOn is not enforced), but memory limits are not applied either",
                                warningOnly: true))
        }
        if let warning = data.options.cri.warning {
            checks.append(Check(name: "CRI", problem: warning, warningOnly: true))
        }
        if data.options.cri.endpoint != nil {
            // Pods on the bridge reach the rest of the network through the host (kubeadm makes this an error).
            if let forward = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_forward", encoding: .utf8),
               forward.trimmingCharacters(in: .whitespacesAndNewlines) != "1" {
                checks.append(Check(name: "FileContent--proc-sys-net-ipv4-ip_forward",
                                    problem: "/proc/sys/net/ipv4/ip_forward contents are not set to 1; pods reach only this node (sysctl -w net.ipv4.ip_forward=1)",
                                    warningOnly: true))
            }
            // What the pod network config (PodNetworkConfig) chains; the runtime runs loopback for lo itself.
            let dirs = PodNetworkConfig.pluginDirs
            for plugin in PodNetworkConfig.requiredPlugins where !dirs.contains(where: { FileManager.default.isExecutableFile(atPath: $0 + "/" + plugin) }) {
                checks.append(Check(name: "FileExisting-cni-\(plugin)",
                                    problem: "CNI plugin \(plugin) not found in \(dirs.joined(separator: " or ")); pods of the container runtime will get no network (apt-get install containernetworking-plugins)",
                                    warningOnly: true))
            }
        }
        if paths.locate("templates") == nil {
            checks.append(Check(name: "FileExisting-templates", problem: "the manifest templates (templates/kube-apiserver.yaml) were not found next to \(paths.sourceBinDir) or in \(paths.shareDir); pass --templates-dir"))
        }
        return checks
    }

    static func run<D: InitData>(_ data: D) throws {
        data.reporter.say("[preflight] Running pre-flight checks")
        if let endpoint = data.options.cri.endpoint {
            data.reporter.say("[preflight] Using the CRI endpoint \(endpoint) (\(data.options.cri.source))")
        }
        let ignore = data.options.ignorePreflightErrors
        var errors: [String] = []
        for check in checks(data) {
            guard let problem = check.problem else { continue }
            if check.warningOnly || ignore.contains("all") || ignore.contains(check.name) {
                data.reporter.warn("\t[WARNING \(check.name)]: \(problem)")
            } else {
                errors.append("[ERROR \(check.name)]: \(problem)")
            }
        }
        if !errors.isEmpty { throw Failure(lines: errors) }
    }
}
