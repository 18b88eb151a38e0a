import KubeCommand
import KubestrapVersion

#if canImport(Glibc)
import Glibc
#endif

// Only the command line exists so far: the kubelet itself is built in a later issue.
let root = Command(
    name: "kubelet", short: "The Kubestrap kubelet (not implemented yet: prints its version)",
    flags: [Flag("version", kind: .bool, usage: "Print version information and quit")],
    persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "number for the log level verbosity")],
    run: { invocation in
        if invocation.flags.bool("version") {
            invocation.output.out("Kubernetes \(KubestrapVersion.gitVersion)\n")
            return
        }
        invocation.output.err("kubelet \(KubestrapVersion.gitVersion): only --version is implemented so far\n")
        throw ExitError(code: 1)
    })
exit(await CommandRunner(root: root).execute(Array(CommandLine.arguments.dropFirst())))
