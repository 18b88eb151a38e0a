import Kubelet
import KubeCommand
import KubestrapVersion

#if canImport(Glibc)
import Glibc
#endif

exit(await CommandRunner(root: KubeletCommand.make(version: KubestrapVersion.gitVersion))
    .execute(Array(CommandLine.arguments.dropFirst())))
