import Foundation
import Glibc
import KubeadmAPI
import KubestrapTesting
import Testing
@testable import BootstrapPhases

/// `init phase control-plane …`: the manifests kubeadm 1.32 writes for the three components, each phase alone or
/// all together, the systemd units instead with --control-plane-mode=systemd, and reset removing them. Everything
/// under a sandbox (--root-prefix), never /etc/kubernetes.
@Suite struct ControlPlanePhaseTests {
    func phase(_ sandbox: borrowing Sandbox, _ names: [String], _ extra: [String] = []) async -> (code: Int32, out: String, err: String) {
        await bootstrap(["init", "phase", "control-plane"] + names + [
            "--root-prefix", sandbox.root, "--kubeconfig-dir", sandbox.root + "/etc/kubernetes",
            "--cert-dir", sandbox.pki, "--apiserver-advertise-address", "10.0.0.5",
        ] + extra)
    }

    /// The container command of a manifest, without the binary.
    func flags(_ manifest: String) -> [String] { Array(ControlPlanePhase.command(fromManifest: manifest).dropFirst()) }

    @Test func controllerManagerAloneHasKubeadmsFlagsProbesAndVolumes() async throws {
        let sandbox = try Sandbox()
        let result = await phase(sandbox, ["controller-manager"], ["--pod-network-cidr", "10.244.0.0/16"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("[control-plane] Creating static Pod manifest for \"kube-controller-manager\""))
        #expect(sandbox.files() == ["etc/kubernetes/manifests/kube-controller-manager.yaml"])
        #expect(sandbox.mode("etc/kubernetes/manifests/kube-controller-manager.yaml") == 0o600)
        let manifest = try #require(sandbox.contents("etc/kubernetes/manifests/kube-controller-manager.yaml").map { String(decoding: $0, as: UTF8.self) })
        let kubeconfig = sandbox.root + "/etc/kubernetes/controller-manager.conf"
        let pki = sandbox.pki
        // kubeadm's flags, sorted as kubeadm writes them.
        #expect(flags(manifest) == [
            "--allocate-node-cidrs=true",
            "--authentication-kubeconfig=\(kubeconfig)",
            "--authorization-kubeconfig=\(kubeconfig)",
            "--bind-address=127.0.0.1",
            "--client-ca-file=\(pki)/ca.crt",
            "--cluster-cidr=10.244.0.0/16",
            "--cluster-name=kubernetes",
            "--cluster-signing-cert-file=\(pki)/ca.crt",
            "--cluster-signing-key-file=\(pki)/ca.key",
            "--controllers=*,bootstrapsigner,tokencleaner",
            "--kubeconfig=\(kubeconfig)",
            "--leader-elect=true",
            "--requestheader-client-ca-file=\(pki)/front-proxy-ca.crt",
            "--root-ca-file=\(pki)/ca.crt",
            "--service-account-private-key-file=\(pki)/sa.key",
            "--service-cluster-ip-range=10.96.0.0/12",
            "--use-service-account-credentials=true",
        ])
        // The kubelet runs the command's first word: the binary kubelet-start installs.
        #expect(ControlPlanePhase.command(fromManifest: manifest).first == sandbox.root + "/usr/local/bin/kube-controller-manager")
        for fragment in [
            "  name: kube-controller-manager\n  namespace: kube-system\n",
            "    image: registry.k8s.io/kube-controller-manager:\(KubeadmDefaults.kubernetesVersion)\n",
            """
                livenessProbe:
                  failureThreshold: 8
                  httpGet:
                    host: 127.0.0.1
                    path: /healthz
                    port: 10257
                    scheme: HTTPS
                  initialDelaySeconds: 10
                  periodSeconds: 10
                  timeoutSeconds: 15
            """,
            """
                startupProbe:
                  failureThreshold: 24
                  httpGet:
                    host: 127.0.0.1
                    path: /healthz
                    port: 10257
                    scheme: HTTPS
            """,
            "    resources:\n      requests:\n        cpu: 200m\n",
            "  priorityClassName: system-node-critical\n",
            "    - mountPath: \(kubeconfig)\n      name: kubeconfig\n      readOnly: true\n",
            "  - hostPath:\n      path: \(kubeconfig)\n      type: FileOrCreate\n    name: kubeconfig\n",
            "  - hostPath:\n      path: \(pki)\n      type: DirectoryOrCreate\n    name: k8s-certs\n",
            "  - hostPath:\n      path: /usr/libexec/kubernetes/kubelet-plugins/volume/exec\n      type: DirectoryOrCreate\n    name: flexvolume-dir\n",
        ] {
            #expect(manifest.contains(fragment), "kube-controller-manager.yaml lacks:\n\(fragment)")
        }
        #expect(!manifest.contains("{{") && !manifest.contains("readinessProbe"))
    }

    @Test func withoutAPodNetworkTheControllerManagerAllocatesNoNodeCIDRs() async throws {
        let sandbox = try Sandbox()
        #expect(await phase(sandbox, ["controller-manager"]).code == 0)
        let manifest = try #require(sandbox.contents("etc/kubernetes/manifests/kube-controller-manager.yaml").map { String(decoding: $0, as: UTF8.self) })
        let flags = flags(manifest)
        #expect(flags.count == 14)
        #expect(!flags.contains { $0.hasPrefix("--allocate-node-cidrs") || $0.hasPrefix("--cluster-cidr") || $0.hasPrefix("--service-cluster-ip-range") })
    }

    @Test func aBadPodNetworkNamesTheFlag() async throws {
        let sandbox = try Sandbox()
        let result = await phase(sandbox, ["controller-manager"], ["--pod-network-cidr", "10.244.0.0/99"])
        #expect(result.code != 0)
        #expect(result.err.contains("--pod-network-cidr: Invalid value: \"10.244.0.0/99\""))
        #expect(sandbox.files().isEmpty)
    }

    @Test func schedulerAloneHasKubeadmsFlagsProbesAndVolume() async throws {
        let sandbox = try Sandbox()
        let result = await phase(sandbox, ["scheduler"])
        #expect(result.code == 0, "\(result.err)")
        #expect(result.out.contains("[control-plane] Creating static Pod manifest for \"kube-scheduler\""))
        #expect(sandbox.files() == ["etc/kubernetes/manifests/kube-scheduler.yaml"])
        let manifest = try #require(sandbox.contents("etc/kubernetes/manifests/kube-scheduler.yaml").map { String(decoding: $0, as: UTF8.self) })
        let kubeconfig = sandbox.root + "/etc/kubernetes/scheduler.conf"
        #expect(ControlPlanePhase.command(fromManifest: manifest) == [
            sandbox.root + "/usr/local/bin/kube-scheduler",
            "--authentication-kubeconfig=\(kubeconfig)",
            "--authorization-kubeconfig=\(kubeconfig)",
            "--bind-address=127.0.0.1",
            "--kubeconfig=\(kubeconfig)",
            "--leader-elect=true",
        ])
        for fragment in [
            "    livenessProbe:\n      failureThreshold: 8\n      httpGet:\n        host: 127.0.0.1\n        path: /livez\n        port: 10259\n        scheme: HTTPS\n",
            "    readinessProbe:\n      failureThreshold: 3\n      httpGet:\n        host: 127.0.0.1\n        path: /readyz\n        port: 10259\n",
            "    startupProbe:\n      failureThreshold: 24\n      httpGet:\n        host: 127.0.0.1\n        path: /livez\n        port: 10259\n",
            "    resources:\n      requests:\n        cpu: 100m\n",
            "  priorityClassName: system-node-critical\n",
            "  volumes:\n  - hostPath:\n      path: \(kubeconfig)\n      type: FileOrCreate\n    name: kubeconfig\nstatus: {}",
        ] {
            #expect(manifest.contains(fragment), "kube-scheduler.yaml lacks:\n\(fragment)")
        }
        #expect(!manifest.contains("{{") && !manifest.contains("k8s-certs"))
    }

    @Test func allWritesTheThreeManifests() async throws {
        let sandbox = try Sandbox()
        let result = await phase(sandbox, ["all"])
        #expect(result.code == 0, "\(result.err)")
        #expect(sandbox.files() == ["etc/kubernetes/manifests/kube-apiserver.yaml", "etc/kubernetes/manifests/kube-controller-manager.yaml",
                                    "etc/kubernetes/manifests/kube-scheduler.yaml"])
        let order = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].compactMap {
            result.out.range(of: "Creating static Pod manifest for \"\($0)\"")?.lowerBound
        }
        #expect(order.count == 3 && order == order.sorted())
    }

    @Test func phaseHelpListsTheThreeComponents() async {
        let help = await bootstrap(["init", "phase", "control-plane", "--help"])
        for name in ["all", "apiserver", "controller-manager", "scheduler"] {
            #expect(help.out.contains("  \(name) "), "\(help.out)")
        }
    }

    @Test func systemdModeWritesAUnitPerComponent() async throws {
        let sandbox = try Sandbox()
        let result = await phase(sandbox, ["all"], ["--control-plane-mode", "systemd"])
        #expect(result.code == 0, "\(result.err)")
        #expect(sandbox.files() == ["etc/systemd/system/kube-apiserver.service", "etc/systemd/system/kube-controller-manager.service",
                                    "etc/systemd/system/kube-scheduler.service"])
        let kcm = try #require(sandbox.contents("etc/systemd/system/kube-controller-manager.service").map { String(decoding: $0, as: UTF8.self) })
        #expect(kcm.contains("ExecStart=\(sandbox.root)/usr/local/bin/kube-controller-manager \\\n    --authentication-kubeconfig="))
        #expect(kcm.contains("    --use-service-account-credentials=true\nRestart=on-failure"))
        #expect(kcm.contains("After=network-online.target kube-apiserver.service"))
        let scheduler = try #require(sandbox.contents("etc/systemd/system/kube-scheduler.service").map { String(decoding: $0, as: UTF8.self) })
        #expect(scheduler.contains("ExecStart=\(sandbox.root)/usr/local/bin/kube-scheduler \\\n    --authentication-kubeconfig=\(sandbox.root)/etc/kubernetes/scheduler.conf"))
        #expect(!kcm.contains("{{") && !scheduler.contains("{{"))
        // Without systemd as PID 1 the unit's command runs through a shell, where `*` must stay literal.
        let command = try #require(KubeletLauncher.shellCommand(unit: kcm))
        #expect(command.hasPrefix("'\(sandbox.root)/usr/local/bin/kube-controller-manager' '--authentication-kubeconfig="))
        #expect(command.contains(" '--controllers=*,bootstrapsigner,tokencleaner' "))
        #expect(command.hasSuffix(" '--use-service-account-credentials=true'"))
    }

    @Test func resetRemovesTheManifests() async throws {
        let sandbox = try Sandbox()
        #expect(await phase(sandbox, ["all"]).code == 0)
        let reset = await bootstrap(["reset", "-f", "--root-prefix", sandbox.root, "--cert-dir", sandbox.pki,
                                     "--kubeconfig-dir", sandbox.root + "/etc/kubernetes"])
        #expect(reset.code == 0, "\(reset.err)")
        #expect(sandbox.files().isEmpty, "\(sandbox.files())")
        #expect(reset.out.contains("kube-controller-manager, kube-scheduler"))
    }

    /// Only where reset cannot reach a real systemd (it would `systemctl disable` the units it finds).
    @Test(.enabled(if: !KubeletLauncher.systemdIsInit)) func resetRemovesTheUnits() async throws {
        let sandbox = try Sandbox()
        #expect(await phase(sandbox, ["all"], ["--control-plane-mode", "systemd"]).code == 0)
        let reset = await bootstrap(["reset", "-f", "--root-prefix", sandbox.root, "--cert-dir", sandbox.pki,
                                     "--kubeconfig-dir", sandbox.root + "/etc/kubernetes"])
        #expect(reset.code == 0, "\(reset.err)")
        #expect(reset.out.contains("kube-scheduler.service"))
        #expect(sandbox.files().isEmpty, "\(sandbox.files())")
    }

    @Test func installAndPreflightKnowTheNewBinaries() {
        #expect(InitPaths.installedBinaries.contains("kube-controller-manager"))
        #expect(InitPaths.installedBinaries.contains("kube-scheduler"))
        let paths = InitPaths(root: "/sandbox")
        #expect(paths.installedControllerManager == "/sandbox/usr/local/bin/kube-controller-manager")
        #expect(paths.installedScheduler == "/sandbox/usr/local/bin/kube-scheduler")
    }
}
