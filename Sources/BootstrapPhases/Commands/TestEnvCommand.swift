import KubeCommand

/// `bootstrap test-env`: a whole control plane for tests, as child processes, until Ctrl-C.
enum TestEnvCommand {
    static func make() -> Command {
        Command(
            name: "test-env",
            short: "Run kube-apiserver, kube-controller-manager and kube-scheduler on loopback for tests, without root",
            long: """
                Starts a control plane for controller and integration tests: kube-apiserver on a free loopback port with a
                throw-away PKI and embedded store, kube-controller-manager (namespaces are emptied, dependents are garbage
                collected, Deployments get ReplicaSets and pods) and kube-scheduler. No kubelet: pods are scheduled only
                to Nodes a test creates. Prints the kubeconfig to use; SIGTERM or Ctrl-C stops everything and removes the
                directory.
                """,
            example: "  bootstrap test-env &\n  export KUBECONFIG=...   # as printed\n  kubectl get ns",
            flags: [
                Flag("dir", usage: "Directory for the PKI, kubeconfigs, data and logs (default: a new temporary directory, removed on exit)"),
                Flag("bin-dir", usage: "Directory holding kube-apiserver, kube-controller-manager and kube-scheduler (default: next to bootstrap)"),
                Flag("keep", kind: .bool, usage: "Keep the temporary directory on exit (its logs)"),
                Flag("without-scheduler", kind: .bool, usage: "Do not start kube-scheduler"),
                Flag("without-controller-manager", kind: .bool, usage: "Do not start kube-controller-manager (the API alone, as envtest)"),
            ],
            run: { invocation in
                let flags = invocation.flags
                var env = TestEnvironment(directory: flags.string("dir").flatMap { $0.isEmpty ? nil : $0 },
                                          binDir: flags.string("bin-dir").flatMap { $0.isEmpty ? nil : $0 } ?? TestEnvironment.executableDirectory(),
                                          keep: flags.bool("keep"), output: invocation.output)
                env.withScheduler = !flags.bool("without-scheduler")
                env.withControllerManager = !flags.bool("without-controller-manager")
                do {
                    try await env.run()
                } catch let failure as TestEnvironment.Failure {
                    throw CommandError(failure.description)
                }
            })
    }
}
