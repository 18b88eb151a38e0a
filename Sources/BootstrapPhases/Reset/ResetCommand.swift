import Foundation
import Glibc
import KubeCommand
import KubeadmAPI
import Kubelet

/// `bootstrap reset`: undoes `bootstrap init` on this host — stops the kubelet and the static pods it ran, removes
/// the manifests, PKI, kubeconfig files, kubelet state, unit files and (unless --keep-data) the embedded store.
public enum ResetCommand {
    public static func make() -> Command {
        Command(
            name: "reset", short: "Performs a best effort revert of changes made to this host by 'bootstrap init'",
            flags: [
                Flag("force", shorthand: "f", kind: .bool, usage: "Reset the node without prompting for confirmation."),
                Flag("keep-data", kind: .bool, usage: "Keep the kube-apiserver's state: the embedded store (/var/lib/kubestrap) and a stacked etcd's data (/var/lib/etcd)."),
                Flag("cert-dir", default: KubeadmDefaults.certificatesDir, usage: "The path to the directory where the certificates are stored."),
                Flag("kubeconfig-dir", default: KubeadmDefaults.kubeconfigDir, usage: "The path where the kubeconfig files are."),
                Flag("root-prefix", hidden: true, usage: "Prefix for every path reset removes (tests)."),
            ],
            run: { invocation in
                let flags = invocation.flags
                let out = Reporter(sink: invocation.output)
                let paths = InitPaths(root: flags.string("root-prefix") ?? "/")
                let certDir = flags.string("cert-dir") ?? KubeadmDefaults.certificatesDir
                let kubeconfigDir = flags.string("kubeconfig-dir") ?? KubeadmDefaults.kubeconfigDir
                out.say("[reset] WARNING: Changes made to this host by 'bootstrap init' will be reverted.")
                if !flags.bool("force") {
                    invocation.output.out("[reset] Are you sure you want to proceed? [y/N]: ")
                    let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                    guard answer == "y" || answer == "yes" else {
                        out.warn("error execution phase preflight: won't proceed; the user didn't answer (Y|y) in order to continue")
                        throw ExitError(code: 1)
                    }
                }
                out.say("[preflight] Running pre-flight checks")
                out.say("[reset] Stopping the kubelet service")
                let launcher = KubeletLauncher(paths: paths, reporter: out, kubeconfigDir: kubeconfigDir)
                launcher.stop()
                if KubeletLauncher.systemdIsInit, FileManager.default.fileExists(atPath: paths.systemdDir + "/kubelet.service") {
                    _ = KubeletLauncher.systemctl(["disable", "kubelet"])
                }
                launcher.stopUnits()
                // The container runtime's pods go too (kubeadm reset removes the containers), before the kubelet's
                // directory that names the runtime does.
                let recorded = CRIEndpoint.recorded(inFlagsFile: paths.kubeletFlagsFile)
                if let endpoint = recorded ?? CRIEndpoint.detect(root: paths.root, given: nil, field: "").endpoint {
                    do {
                        let (removed, failures) = try await ContainerRuntimeCleanup.removeKubeletPods(endpoint: endpoint)
                        if removed > 0 { out.say("[reset] Removed \(removed) pod sandboxes and their containers from the container runtime (\(endpoint))") }
                        for failure in failures { out.warn("[reset] Failed to remove \(failure)") }
                    } catch {
                        out.warn("[reset] Failed to remove the pods of the container runtime at \(endpoint): \(error)")
                    }
                }
                let stopped = await StaticPodCleanup.stopAll(rootDir: paths.kubeletDir)
                if !stopped.isEmpty {
                    out.say("[reset] Stopped the containers of the static pods: [\(Set(stopped.map(\.podFullName)).sorted().joined(separator: " "))]")
                }
                // The stacked etcd's data goes with its manifest, as kubeadm reset removes /var/lib/etcd.
                let hadEtcd = FileManager.default.fileExists(atPath: paths.manifestsDir + "/etcd.yaml")
                var directories = [paths.manifestsDir, paths.kubeletDir, certDir]
                if !flags.bool("keep-data") { directories.append(paths.dataDir) }
                if hadEtcd, !flags.bool("keep-data") { directories.append(paths.etcdDataDir) }
                out.say("[reset] Deleting contents of directories: [\(directories.joined(separator: " "))]")
                for dir in directories {
                    for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                        try? FileManager.default.removeItem(atPath: dir + "/" + name)
                    }
                }
                let files = ["admin.conf", "super-admin.conf", "kubelet.conf", "bootstrap-kubelet.conf", "controller-manager.conf",
                             "scheduler.conf"].map { kubeconfigDir + "/" + $0 }
                out.say("[reset] Deleting files: [\(files.joined(separator: " "))]")
                for file in files { unlink(file) }
                let unitFiles = ["kubelet.service", "kubelet.service.d/10-kubeadm.conf"] + ControlPlaneComponent.allCases.map(\.unitFile)
                let units = unitFiles.map { paths.systemdDir + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
                if !units.isEmpty {
                    out.say("[reset] Deleting the unit files: [\(units.joined(separator: " "))]")
                    for unit in units { unlink(unit) }
                    rmdir(paths.systemdDir + "/kubelet.service.d")
                    if KubeletLauncher.systemdIsInit { _ = KubeletLauncher.systemctl(["daemon-reload"]) }
                }
                unlink(paths.kubeletPIDFile)
                // Only the CNI configuration init wrote; one an add-on installed is the add-on's, as kubeadm leaves it.
                let cniConfig = paths.cniConfDir + "/" + PodNetworkConfig.fileName
                let removedCNI = FileManager.default.fileExists(atPath: cniConfig) && unlink(cniConfig) == 0
                if removedCNI { out.say("[reset] Deleting the CNI configuration bootstrap init wrote: [\(cniConfig)]") }
                out.say(removedCNI
                    ? "The reset process does not clean other CNI configuration or the cni0 bridge (ip link delete cni0). To remove a network add-on's configuration, you must remove \(paths.cniConfDir)"
                    : "The reset process does not clean CNI configuration. To do so, you must remove \(paths.cniConfDir)")
                out.say("""

                    The reset process does not reset or clean up iptables rules or IPVS tables.
                    If you wish to reset iptables, you must do so manually by using the "iptables" command \
                    (kube-proxy --cleanup removes kube-proxy's rules).
                    """)
                out.say("""

                    The reset process does not remove the installed binaries (\(paths.binDir)/\(InitPaths.installedBinaries.joined(separator: ", "))), \
                    the logs (\(paths.logDir), \(paths.podLogsDir)) or your kubeconfig files; check $HOME/.kube/config.
                    """)
            })
    }
}
