import Foundation
import Glibc
import KubeConfig
import KubeJSON
import KubeadmAPI
import KubestrapTesting
import Testing
@testable import BootstrapPhases

/// The runtime and pod network parts of `init`: preflight finding the CRI socket, kubeadm-flags.env naming it only
/// when found, the CNI conflist (and reset removing only that one), the RuntimeClass and the kube-proxy addon's
/// objects. Sockets and files live in a sandbox (--root-prefix); with --dry-run nothing starts.
@Suite struct NetworkPhaseTests {
    /// A listening-capable unix socket file at `path`, as a runtime leaves one.
    func makeSocket(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { buffer in
            for (i, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[i] = byte }
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(bound == 0, "bind \(path): \(String(cString: strerror(errno)))")
    }

    /// `init phase <name>` as a dry run whose host is the sandbox; returns the output and the dry run's root.
    func dryRun(_ sandbox: borrowing Sandbox, _ phase: [String], _ extra: [String] = []) async throws -> (out: String, err: String, root: String) {
        // The node name and address are the fixed host's (n1, 10.0.0.5).
        let result = await bootstrap(["init", "phase"] + phase + ["--dry-run", "--root-prefix", sandbox.root] + extra)
        #expect(result.code == 0, "\(result.err)")
        let root = try #require(result.out.split(separator: "\n").first { $0.hasPrefix("[dryrun] Writing everything under ") }
            .map { String($0.dropFirst("[dryrun] Writing everything under ".count)) })
        return (result.out, result.err, root)
    }

    @Test func aFoundRuntimeIsUsedAndRecorded() async throws {
        let sandbox = try Sandbox()
        try makeSocket(sandbox.root + "/var/run/containerd/containerd.sock")
        let endpoint = "unix://\(sandbox.root)/var/run/containerd/containerd.sock"
        let preflight = try await dryRun(sandbox, ["preflight"])
        defer { try? FileManager.default.removeItem(atPath: preflight.root) }
        #expect(preflight.out.contains("[preflight] Using the CRI endpoint \(endpoint) (detected)"))
        #expect(!preflight.err.contains("[WARNING CRI]"))

        let start = try await dryRun(sandbox, ["kubelet-start"])
        defer { try? FileManager.default.removeItem(atPath: start.root) }
        let env = try String(contentsOfFile: start.root + "/var/lib/kubelet/kubeadm-flags.env", encoding: .utf8)
        // kubeadm's order: the flags sorted by name.
        #expect(env == "KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=\(endpoint) --hostname-override=n1 --node-ip=10.0.0.5 --root-dir=\(start.root)/var/lib/kubelet\"\n")
    }

    @Test func noRuntimeIsAWarningAndNoEndpoint() async throws {
        let sandbox = try Sandbox()
        let preflight = try await dryRun(sandbox, ["preflight"])
        defer { try? FileManager.default.removeItem(atPath: preflight.root) }
        #expect(preflight.err.contains("[WARNING CRI]: no container runtime found"))
        #expect(!preflight.out.contains("Using the CRI endpoint"))
        let start = try await dryRun(sandbox, ["kubelet-start"])
        defer { try? FileManager.default.removeItem(atPath: start.root) }
        let env = try String(contentsOfFile: start.root + "/var/lib/kubelet/kubeadm-flags.env", encoding: .utf8)
        #expect(env.hasPrefix("KUBELET_KUBEADM_ARGS=\"--hostname-override=n1 "))
        #expect(!env.contains("container-runtime-endpoint"))
    }

    @Test func anExplicitSocketMustExist() async throws {
        let sandbox = try Sandbox()
        try makeSocket(sandbox.root + "/run/other.sock")
        try makeSocket(sandbox.root + "/var/run/crio/crio.sock")
        let given = try await dryRun(sandbox, ["preflight"], ["--cri-socket", "unix:///run/other.sock"])
        defer { try? FileManager.default.removeItem(atPath: given.root) }
        #expect(given.out.contains("[preflight] Using the CRI endpoint unix:///run/other.sock (--cri-socket)"))
        let missing = try await dryRun(sandbox, ["preflight"], ["--cri-socket", "/run/none.sock"])
        defer { try? FileManager.default.removeItem(atPath: missing.root) }
        #expect(missing.err.contains("[WARNING CRI]: --cri-socket unix:///run/none.sock: no container runtime socket there"))
    }

    @Test func severalRuntimesPreferContainerdAndWarn() throws {
        let sandbox = try Sandbox()
        let root = sandbox.root
        try makeSocket(root + "/var/run/crio/crio.sock")
        try makeSocket(root + "/var/run/containerd/containerd.sock")
        let found = CRIEndpoint.detect(root: root, given: nil, field: "nodeRegistration.criSocket")
        #expect(found.endpoint == "unix://\(root)/var/run/containerd/containerd.sock")
        #expect(found.warning?.contains("found multiple CRI endpoints on the host") == true)
        // A regular file is not a runtime.
        let plain = try Sandbox()
        try FileManager.default.createDirectory(atPath: plain.root + "/var/run/containerd", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: plain.root + "/var/run/containerd/containerd.sock", contents: Data())
        #expect(CRIEndpoint.detect(root: plain.root, given: nil, field: "x").endpoint == nil)
    }

    @Test func aPhaseRunAgainKeepsTheRuntimeInitRecordedWhileItIsStopped() throws {
        let sandbox = try Sandbox()
        let flags = sandbox.root + "/kubeadm-flags.env"
        try #"KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock --hostname-override=vm""#
            .write(toFile: flags, atomically: true, encoding: .utf8)
        #expect(CRIEndpoint.recorded(inFlagsFile: flags) == "unix:///var/run/containerd/containerd.sock")
        let nothing = CRIEndpoint.detect(root: sandbox.root, given: nil, field: "nodeRegistration.criSocket")
        #expect(nothing.endpoint == nil)
        let kept = nothing.keepingRecorded(inFlagsFile: flags)
        #expect(kept.endpoint == "unix:///var/run/containerd/containerd.sock" && kept.source == flags)
        #expect(kept.warning?.contains("does not answer now; keeping it") == true)
        // A runtime named on purpose, or found, is not replaced; a host init never ran on keeps none.
        let given = CRIEndpoint(endpoint: "unix:///run/other.sock", source: "--cri-socket")
        #expect(given.keepingRecorded(inFlagsFile: flags) == given)
        #expect(nothing.keepingRecorded(inFlagsFile: sandbox.root + "/absent.env") == nothing)
        try #"KUBELET_KUBEADM_ARGS="--hostname-override=vm""#.write(toFile: flags, atomically: true, encoding: .utf8)
        #expect(CRIEndpoint.recorded(inFlagsFile: flags) == nil)
    }

    @Test func theConflistIsABridgeForTheNodesSubnet() async throws {
        let sandbox = try Sandbox()
        let start = try await dryRun(sandbox, ["kubelet-start"])
        defer { try? FileManager.default.removeItem(atPath: start.root) }
        #expect(start.out.contains("[pod-network] No --pod-network-cidr given: using the default pod network 10.244.0.0/16"))
        let text = try String(contentsOfFile: start.root + "/etc/cni/net.d/10-kubestrap-bridge.conflist", encoding: .utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let plugins = try #require(json["plugins"] as? [[String: Any]])
        #expect(plugins.map { $0["type"] as? String } == ["bridge", "portmap"])
        #expect(plugins[0]["bridge"] as? String == "cni0")
        #expect(plugins[0]["isGateway"] as? Bool == true && plugins[0]["ipMasq"] as? Bool == true && plugins[0]["hairpinMode"] as? Bool == true)
        let ipam = try #require(plugins[0]["ipam"] as? [String: Any])
        #expect(ipam["type"] as? String == "host-local")
        #expect(((ipam["ranges"] as? [[[String: Any]]])?.first?.first?["subnet"] as? String) == "10.244.0.0/24")
        #expect((plugins[1]["capabilities"] as? [String: Bool]) == ["portMappings": true])

        let given = try await dryRun(sandbox, ["kubelet-start"], ["--pod-network-cidr", "10.32.0.0/12"])
        defer { try? FileManager.default.removeItem(atPath: given.root) }
        #expect(given.out.contains("[pod-network] Writing the CNI configuration \"\(given.root)/etc/cni/net.d/10-kubestrap-bridge.conflist\" (bridge cni0, pod subnet 10.32.0.0/24)"))
        #expect(PodNetworkConfig.nodeSubnet(podSubnet: "fd00::/48,10.0.0.0/26")?.nodeSubnet == "10.0.0.0/26")
        #expect(PodNetworkConfig.nodeSubnet(podSubnet: "fd00::/48") == nil)
    }

    @Test func anAddOnsConfigIsLeftAlone() throws {
        let sandbox = try Sandbox()
        let dir = sandbox.root + "/etc/cni/net.d"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try sandbox.write("etc/cni/net.d/10-flannel.conflist", "{}")
        #expect(PodNetworkConfig.othersConfig(in: dir) == "10-flannel.conflist")
        try sandbox.write("etc/cni/net.d/" + PodNetworkConfig.fileName, "{}")
        try FileManager.default.removeItem(atPath: dir + "/10-flannel.conflist")
        #expect(PodNetworkConfig.othersConfig(in: dir) == nil, "our own file is not someone else's")
    }

    @Test func resetRemovesOnlyOurConflist() async throws {
        let sandbox = try Sandbox()
        try FileManager.default.createDirectory(atPath: sandbox.root + "/etc/cni/net.d", withIntermediateDirectories: true)
        try sandbox.write("etc/cni/net.d/" + PodNetworkConfig.fileName, "{}")
        try sandbox.write("etc/cni/net.d/20-other.conf", "{}")
        let reset = await bootstrap(["reset", "-f", "--root-prefix", sandbox.root, "--cert-dir", sandbox.pki,
                                     "--kubeconfig-dir", sandbox.root + "/etc/kubernetes"])
        #expect(reset.code == 0, "\(reset.err)")
        #expect(sandbox.files() == ["etc/cni/net.d/20-other.conf"])
        #expect(reset.out.contains("[reset] Deleting the CNI configuration bootstrap init wrote: [\(sandbox.root)/etc/cni/net.d/\(PodNetworkConfig.fileName)]"))
        #expect(reset.out.contains("The reset process does not reset or clean up iptables rules or IPVS tables."))
        let again = await bootstrap(["reset", "-f", "--root-prefix", sandbox.root, "--cert-dir", sandbox.pki,
                                     "--kubeconfig-dir", sandbox.root + "/etc/kubernetes"])
        #expect(again.out.contains("The reset process does not clean CNI configuration. To do so, you must remove \(sandbox.root)/etc/cni/net.d"))
    }

    @Test func staticPodsRunAsHostProcesses() async throws {
        let sandbox = try Sandbox()
        let result = await bootstrap(["init", "phase", "control-plane", "all", "--root-prefix", sandbox.root,
                                      "--kubeconfig-dir", sandbox.root + "/etc/kubernetes", "--cert-dir", sandbox.pki,
                                      "--apiserver-advertise-address", "10.0.0.5"])
        #expect(result.code == 0, "\(result.err)")
        for file in ["kube-apiserver.yaml", "kube-controller-manager.yaml", "kube-scheduler.yaml"] {
            let text = try #require(sandbox.contents("etc/kubernetes/manifests/" + file).map { String(decoding: $0, as: UTF8.self) })
            #expect(text.contains("\n  priorityClassName: system-node-critical\n  runtimeClassName: host-process\n"), "\(file)")
        }
    }

    @Test func addonPhasesAreListedAndDryRunsApplyNothing() async throws {
        let help = await bootstrap(["init", "--help"])
        #expect(help.out.contains("/runtime-class") && help.out.contains("/kube-proxy"))
        let sandbox = try Sandbox()
        let addon = try await dryRun(sandbox, ["addon", "all"])
        defer { try? FileManager.default.removeItem(atPath: addon.root) }
        #expect(addon.out.contains("[addons] Applied essential addon: RuntimeClass host-process"))
        #expect(addon.out.contains("[addons] Applied essential addon: kube-proxy"))
    }

    @Test func aDisabledProxyIsNotInstalled() async throws {
        let sandbox = try Sandbox()
        try sandbox.write("kubeadm.yaml", "apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nproxy:\n  disabled: true\n")
        let addon = try await dryRun(sandbox, ["addon", "kube-proxy"], ["--config", sandbox.root + "/kubeadm.yaml"])
        defer { try? FileManager.default.removeItem(atPath: addon.root) }
        #expect(addon.out.contains("[addons] Not installing kube-proxy: proxy.disabled is true in the ClusterConfiguration"))
        #expect(!addon.out.contains("Applied essential addon: kube-proxy"))
    }

    @Test func kubeProxyAddonObjectsAreKubeadms() throws {
        var settings = try InitSettings.resolve(file: nil, flags: { var f = FlagOverrides(); f.podSubnet = "10.32.0.0/12"; return f }(), host: fixedHost)
        settings.certificatesDir = "/etc/kubernetes/pki"
        let data = InitRunData(settings: settings, kubeconfigDir: "/etc/kubernetes", reporter: Reporter(sink: CapturedOutput()))
        let objects = KubeProxyAddon.objects(data)
        #expect(objects.map(\.0.resource) == ["serviceaccounts", "clusterrolebindings", "roles", "rolebindings", "configmaps", "daemonsets"])
        let binding = objects[1].1
        #expect(binding[path: ["roleRef", "name"]] == "system:node-proxier")
        #expect(binding["subjects"]?.array?.first?["name"] == "kube-proxy")
        let daemonSet = objects[5].1
        let pod = try #require(daemonSet[path: ["spec", "template", "spec"]])
        #expect(pod["runtimeClassName"] == "host-process")
        #expect(pod["hostNetwork"] == true)
        #expect(pod["serviceAccountName"] == "kube-proxy")
        let container = try #require(pod["containers"]?.array?.first)
        #expect(container["command"] == ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"])
        #expect(container[path: ["securityContext", "privileged"]] == true)
        #expect(container["env"]?.array?.first?[path: ["valueFrom", "fieldRef", "fieldPath"]] == "spec.nodeName")

        let configMap = objects[4].1
        let config = try #require(configMap[path: ["data", "config.conf"]]?.string)
        #expect(config.contains("clusterCIDR: 10.32.0.0/12\n") && config.contains("kind: KubeProxyConfiguration\n"))
        // The in-cluster kubeconfig reads: the API server, the service account's CA and token.
        let kubeconfigText = try #require(configMap[path: ["data", "kubeconfig.conf"]]?.string)
        let sandbox = try Sandbox()
        try sandbox.write("kubeconfig.conf", kubeconfigText)
        let kubeconfig = try #require(try KubeConfig.load(sandbox.root + "/kubeconfig.conf"))
        #expect(kubeconfig.currentCluster?.server == "https://10.0.0.5:6443")
        #expect(kubeconfig.currentCluster?.certificateAuthority == "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt")
        #expect(kubeconfig.currentUser?.tokenFile == "/var/run/secrets/kubernetes.io/serviceaccount/token")
    }
}
