import BootstrapWorkflow
import KubeCommand
import KubeadmAPI

/// `bootstrap init` and `bootstrap init phase …`.
public enum InitCommand {
    /// The phases of `init`, in kubeadm's order. Later phases (control-plane, kubelet-start, …) join this list
    /// as they are built.
    static func runner() -> PhaseRunner<InitRunData> {
        PhaseRunner(phases: [CertsPhase.make(), KubeConfigPhase.make()])
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
                data.reporter.say("")
                data.reporter.say("[init] The certificates and kubeconfig files are in place (\(data.certificatesDir), \(data.kubeconfigDir)).")
                data.reporter.say("[init] Starting the control plane (control-plane, kubelet-start and later phases) is not part of this version yet.")
            })
    }
}
