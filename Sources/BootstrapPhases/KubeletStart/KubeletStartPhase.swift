import AtomicFile
import BootstrapWorkflow
import Foundation
import Glibc
import KubeCommand

/// `kubelet-start`: installs the binaries, writes /var/lib/kubelet/config.yaml and kubeadm-flags.env, installs the
/// systemd unit and drop-in, and starts the kubelet — through systemd where it is PID 1, otherwise as a detached
/// daemon with a pid file and a log file (and says so).
enum KubeletStartPhase {
    static func make<D: InitData>() -> Phase<D> {
        Phase(name: "kubelet-start", short: "Write kubelet settings and (re)start the kubelet",
              inheritFlags: ["config", "node-name", "dry-run", "templates-dir", "cert-dir", "kubeconfig-dir", "cri-socket",
                             "pod-network-cidr", "root-prefix"],
              run: { (data: D) in try await run(data) })
    }

    static func kubeletConfig<D: InitData>(_ data: D) -> String {
        """
        apiVersion: kubelet.config.k8s.io/v1beta1
        authentication:
          anonymous:
            enabled: false
          webhook:
            cacheTTL: 0s
            enabled: true
          x509:
            clientCAFile: \(data.certificatesDir)/ca.crt
        authorization:
          mode: Webhook
          webhook:
            cacheAuthorizedTTL: 0s
            cacheUnauthorizedTTL: 0s
        cgroupDriver: systemd
        clusterDNS:
        - \(data.settings.serviceSubnets.first.map { dnsIP($0.description) } ?? "10.96.0.10")
        clusterDomain: \(data.settings.dnsDomain)
        healthzBindAddress: 127.0.0.1
        healthzPort: \(data.paths.kubeletHealthzPort)
        kind: KubeletConfiguration
        podLogsDir: \(data.paths.podLogsDir)
        port: \(data.paths.kubeletPort)
        rotateCertificates: true
        staticPodPath: \(data.paths.manifestsDir)

        """
    }

    /// The tenth address of the service range, kubeadm's cluster DNS address (10.96.0.10).
    static func dnsIP(_ cidr: String) -> String {
        let base = cidr.split(separator: "/").first.map(String.init) ?? "10.96.0.0"
        var octets = base.split(separator: ".").compactMap { Int($0) }
        guard octets.count == 4 else { return "10.96.0.10" }
        octets[3] += 10
        return octets.map(String.init).joined(separator: ".")
    }

    /// kubeadm-flags.env: the flags sorted by name, as kubeadm writes them; the runtime endpoint only when one was
    /// found (without it the kubelet runs every pod as host processes).
    static func flagsEnv<D: InitData>(_ data: D) -> String {
        var flags: [String] = []
        if let endpoint = data.options.cri.endpoint { flags.append("--container-runtime-endpoint=\(endpoint)") }
        flags += ["--hostname-override=\(data.settings.nodeName)", "--node-ip=\(data.settings.advertiseAddress)",
                  "--root-dir=\(data.paths.kubeletDir)"]
        return "KUBELET_KUBEADM_ARGS=\"\(flags.joined(separator: " "))\"\n"
    }

    /// Copies the kubelet, the control-plane components (the static pods' commands) and `bootstrap` from bootstrap's
    /// own directory to /usr/local/bin, so a fresh host needs nothing else; nothing happens when they are already
    /// the installed ones.
    static func installBinaries<D: InitData>(_ data: D) throws {
        let paths = data.paths
        try AtomicFile.makeDirectories(paths.binDir)
        for binary in InitPaths.installedBinaries {
            let source = paths.sourceBinDir + "/" + binary
            let target = paths.binDir + "/" + binary
            guard FileManager.default.isExecutableFile(atPath: source),
                  (source as NSString).standardizingPath != (target as NSString).standardizingPath else { continue }
            guard let bytes = try AtomicFile.read(source) else { continue }
            if let existing = try? AtomicFile.read(target), existing == bytes { continue }
            // The kubelet's resident memory depends on how its pages get into the page cache (BENCHMARKS.md).
            try AtomicFile.write(bytes, to: target, mode: 0o755, dropPageCache: true)
            data.reporter.say("[kubelet-start] Installed \(target)")
        }
        for folder in ["templates", "systemd"] {
            guard let dir = paths.locate(folder), dir != paths.shareDir + "/" + folder else { continue }
            try copyTree(dir, to: paths.shareDir + "/" + folder)
        }
    }

    static func copyTree(_ from: String, to: String) throws {
        try AtomicFile.makeDirectories(to)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: from)) ?? [] {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: from + "/" + name, isDirectory: &isDir)
            if isDir.boolValue { try copyTree(from + "/" + name, to: to + "/" + name) } else if let bytes = try AtomicFile.read(from + "/" + name) {
                try AtomicFile.write(bytes, to: to + "/" + name)
            }
        }
    }

    static func writeUnits<D: InitData>(_ data: D) throws {
        let values = ControlPlanePhase.values(data)
        let (unit, unitPath) = try ControlPlanePhase.template(data, folder: "systemd", file: "kubelet.service")
        let (dropIn, dropInPath) = try ControlPlanePhase.template(data, folder: "systemd", file: "kubelet.service.d/10-kubeadm.conf")
        try AtomicFile.makeDirectories(data.paths.systemdDir + "/kubelet.service.d")
        try AtomicFile.write(try ControlPlanePhase.render(unit, path: unitPath, values: values), to: data.paths.systemdDir + "/kubelet.service")
        try AtomicFile.write(try ControlPlanePhase.render(dropIn, path: dropInPath, values: values),
                             to: data.paths.systemdDir + "/kubelet.service.d/10-kubeadm.conf")
    }

    static func run<D: InitData>(_ data: D) async throws {
        let paths = data.paths
        if !data.options.dryRun { try installBinaries(data) }
        data.reporter.say("[kubelet-start] Writing kubelet environment file with flags to file \"\(paths.kubeletFlagsFile)\"")
        try AtomicFile.makeDirectories(paths.kubeletDir)
        try AtomicFile.write(flagsEnv(data), to: paths.kubeletFlagsFile)
        data.reporter.say("[kubelet-start] Writing kubelet configuration to file \"\(paths.kubeletConfigFile)\"")
        try AtomicFile.write(kubeletConfig(data), to: paths.kubeletConfigFile)
        try writeUnits(data)
        // Before the kubelet starts: the runtime's first sandbox needs the network config.
        try PodNetworkConfig.write(data)
        if data.options.dryRun {
            data.reporter.say("[kubelet-start] Would start the kubelet (dry run)")
            return
        }
        data.reporter.say("[kubelet-start] Starting the kubelet")
        let launcher = KubeletLauncher(data: data)
        try launcher.start()
        if data.options.controlPlaneMode == "systemd" {
            for component in ControlPlaneComponent.allCases {
                data.reporter.say("[kubelet-start] Starting the \(component.rawValue) unit")
                try launcher.startUnit(component)
            }
        }
    }
}
