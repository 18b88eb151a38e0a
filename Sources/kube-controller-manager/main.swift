import KubeCommand
import KubeControllerManager
import KubestrapVersion

#if canImport(Glibc)
import Glibc
#endif

exit(await CommandRunner(root: KubeControllerManagerCommand.make(version: KubestrapVersion.gitVersion))
    .execute(Array(CommandLine.arguments.dropFirst())))
