import BootstrapWorkflow
import Foundation
import KubeCommand
import KubeadmAPI

/// `bootstrap init` and `bootstrap init phase …`.
public enum InitCommand {
    /// The phases of `init`, in kubeadm's order. Later phases (control-plane, kubelet-start, …) join this list
    /// as they are built.
    static func runner() -> PhaseRunner<InitRunData> {
        PhaseRunner(phases: [
            PreflightPhase.make(), CertsPhase.make(), KubeConfigPhase.make(), etcdPhase(), ControlPlanePhase.make(),
            KubeletStartPhase.make(), WaitControlPlanePhase.make(), PostInitPhases.uploadConfig(),
            PostInitPhases.markControlPlane(), AddonPhase.make(), PostInitPhases.showJoinCommand(),
        ])
    }

    /// kubeadm's `etcd` phase: with `--storage-backend=etcd3`, the stacked etcd's static pod; by default the
    /// kube-apiserver keeps its state in its embedded store and there is no etcd pod.
    static func etcdPhase<D: InitData>() -> Phase<D> {
        let inherited = ["cert-dir", "config", "apiserver-advertise-address", "node-name", "dry-run", "templates-dir", "storage-backend"]
        return Phase(name: "etcd", short: "Generate static Pod manifest file for local etcd", phases: [
            Phase(name: "local", short: "Generate the static Pod manifest file for a local, single-node local etcd instance", inheritFlags: inherited,
                  run: { (data: D) in
                guard data.options.usesEtcd else {
                    data.reporter.say("[etcd] The kube-apiserver keeps its state in its embedded store (\(data.paths.dataDir)); no etcd static Pod is created (--storage-backend=etcd3 creates one)")
                    return
                }
                try ControlPlanePhase.writeEtcd(data)
            }),
        ], inheritFlags: inherited)
    }

    public static func make(host: @escaping @Sendable () -> HostFacts = { HostFacts.detect() }) -> Command {
        let runner = runner()
        let makeData: @Sendable (Invocation) async throws -> InitRunData = { invocation in
            try InitFlags.runData(from: invocation, host: host())
        }
        let phase = runner.phaseCommand(commandName: "init", commandFlags: InitFlags.all, makeData: makeData)
        let long = """
            Run this command in order to set up the Kubernetes control plane

            \(runner.helpListing(commandName: "init"))
            """
        return Command(
            name: "init", short: "Run this command in order to set up the Kubernetes control plane", long: long,
            flags: InitFlags.all + [InitFlags.skipPhases], subcommands: [phase],
            validateArguments: { args in args.isEmpty ? nil : "unknown command \"\(args[0])\" for \"bootstrap init\"" },
            run: { invocation in
                let data = try await makeData(invocation)
                data.reporter.say("[init] Using Kubernetes version: \(data.settings.kubernetesVersion)")
                let skip = invocation.flags.strings("skip-phases") + (data.settings.initConfiguration.skipPhases ?? [])
                try await runner.run(data: data, skip: skip)
                if data.options.dryRun {
                    for component in ControlPlaneComponent.allCases {
                        let manifest = data.paths.manifestsDir + "/" + component.manifestFile
                        guard let text = try? String(contentsOfFile: manifest, encoding: .utf8) else { continue }
                        data.reporter.say("[dryrun] The manifest \(manifest):")
                        data.reporter.say(text)
                    }
                    for unit in ["kubelet.service", "kubelet.service.d/10-kubeadm.conf"] {
                        data.reporter.say("[dryrun] \(data.paths.systemdDir)/\(unit):")
                        data.reporter.say((try? String(contentsOfFile: data.paths.systemdDir + "/" + unit, encoding: .utf8)) ?? "")
                    }
                    return
                }
                PostInitPhases.banner(data)
            })
    }
}
