import KubeCommand
import KubeadmAPI

/// The `bootstrap` command tree: kubeadm's commands for the parts that exist.
public enum BootstrapCommand {
    public static func make(version: String, host: @escaping @Sendable () -> HostFacts = { HostFacts.detect() }) -> Command {
        let versionCommand = Command(
            name: "version", short: "Print the version of bootstrap",
            flags: [Flag("output", shorthand: "o", usage: "Output format; available options are 'yaml', 'json' and 'short'")],
            run: { invocation in
                switch invocation.flags.string("output") ?? "" {
                case "short": invocation.output.out("\(version)\n")
                case "json": invocation.output.out("{\n  \"clientVersion\": {\n    \"gitVersion\": \"\(version)\"\n  }\n}\n")
                case "yaml": invocation.output.out("clientVersion:\n  gitVersion: \(version)\n")
                case "": invocation.output.out("bootstrap version: &version.Info{GitVersion:\"\(version)\"}\n")
                case let other: throw CommandError("invalid output format: \(other)")
                }
            })
        return Command(
            name: "bootstrap", short: "bootstrap: easily bootstrap a secure Kubernetes control plane",
            long: """
                ┌──────────────────────────────────────────────────────────┐
                │ BOOTSTRAP                                                │
                │ Brings up a Kubernetes control plane laid out as kubeadm │
                │ lays it out: /etc/kubernetes/pki, kubeconfig files,      │
                │ static pod manifests, and a kubelet that runs them.      │
                └──────────────────────────────────────────────────────────┘

                Example usage:

                    ┌──────────────────────────────────────────────────────────┐
                    │ On the first machine:                                    │
                    ├──────────────────────────────────────────────────────────┤
                    │ control-plane# bootstrap init                            │
                    └──────────────────────────────────────────────────────────┘
                """,
            persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "number for the log level verbosity")],
            subcommands: [InitCommand.make(host: host), ResetCommand.make(), CertsCommand.make(host: host), ConfigCommand.make(host: host),
                          TestEnvCommand.make(), versionCommand])
    }
}
