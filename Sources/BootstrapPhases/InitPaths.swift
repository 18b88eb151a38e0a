import Foundation

/// Where init writes and what it runs, kubeadm's layout. `root` prefixes every path (tests, `--dry-run`), so the
/// same code writes /etc/kubernetes/manifests on a host and <tmp>/etc/kubernetes/manifests in a sandbox.
public struct InitPaths: Sendable {
    public var root: String
    public var manifestsDir: String
    public var kubeletDir: String
    public var systemdDir: String
    public var binDir: String
    public var shareDir: String
    public var dataDir: String
    /// The stacked etcd's data (kubeadm's etcd.local.dataDir).
    public var etcdDataDir: String
    public var logDir: String
    public var runDir: String
    public var podLogsDir: String
    /// Where the container runtime reads CNI configuration.
    public var cniConfDir: String
    /// Where the binaries to install (`installedBinaries`) come from (the directory of `bootstrap` itself).
    public var sourceBinDir: String
    public var templatesDir: String?
    public var kubeletPort = 10250
    public var kubeletHealthzPort = 10248
    public var etcdPorts = [2379, 2380, 2381]
    /// The secure ports kube-controller-manager and kube-scheduler serve their health on (upstream's defaults).
    public var controllerManagerPort = 10257
    public var schedulerPort = 10259

    public init(root: String = "/", sourceBinDir: String = InitPaths.executableDirectory(), templatesDir: String? = nil) {
        let r = root.hasSuffix("/") ? String(root.dropLast()) : root
        self.root = root
        manifestsDir = r + "/etc/kubernetes/manifests"
        kubeletDir = r + "/var/lib/kubelet"
        systemdDir = r + "/etc/systemd/system"
        binDir = r + "/usr/local/bin"
        shareDir = r + "/usr/local/share/kubestrap"
        dataDir = r + "/var/lib/kubestrap"
        etcdDataDir = r + "/var/lib/etcd"
        logDir = r + "/var/log/kubestrap"
        runDir = r + "/run/kubestrap"
        podLogsDir = r + "/var/log/pods"
        cniConfDir = r + "/etc/cni/net.d"
        self.sourceBinDir = sourceBinDir
        self.templatesDir = templatesDir
    }

    public var kubeletConfigFile: String { kubeletDir + "/config.yaml" }
    public var kubeletFlagsFile: String { kubeletDir + "/kubeadm-flags.env" }
    public var kubeletPIDFile: String { runDir + "/kubelet.pid" }
    public var kubeletLogFile: String { logDir + "/kubelet.log" }
    public var installedKubelet: String { binDir + "/kubelet" }
    public var installedAPIServer: String { binDir + "/kube-apiserver" }
    public var installedControllerManager: String { binDir + "/kube-controller-manager" }
    public var installedScheduler: String { binDir + "/kube-scheduler" }
    public var installedKubeProxy: String { binDir + "/kube-proxy" }
    /// What `kubelet-start` installs next to the kubelet and what preflight looks for: the static pods' commands and
    /// the kube-proxy DaemonSet's.
    public static let installedBinaries = ["kubelet", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "bootstrap"]
    /// etcd for the stacked etcd pod: Debian's etcd-server installs /usr/bin/etcd.
    public var etcdBinary: String? {
        ["/usr/bin/etcd", "/usr/local/bin/etcd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public static func executableDirectory() -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return (path as NSString).deletingLastPathComponent
    }

    /// `--templates-dir`, else templates/ of the build tree this bootstrap runs from (`<repo>/.build/<config>/bootstrap`
    /// → `<repo>/templates`), else the installed copy. The build tree comes before the installed copy so that a
    /// newer checkout is not shadowed by templates an earlier `init` installed.
    public func locate(_ folder: String) -> String? {
        var candidates: [String] = []
        if folder == "templates", let templatesDir { candidates.append(templatesDir) }
        var dir = sourceBinDir
        for _ in 0..<4 {
            candidates.append(dir + "/" + folder)
            dir = (dir as NSString).deletingLastPathComponent
        }
        candidates.append(shareDir + "/" + folder)
        candidates.append("/usr/local/share/kubestrap/" + folder)
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/" + (folder == "templates" ? "kube-apiserver.yaml" : "kubelet.service")) }
    }
}
