import KubeCommand
import KubeScheduler
import KubestrapVersion

#if canImport(Glibc)
import Glibc
#endif

exit(await CommandRunner(root: KubeSchedulerCommand.make(version: KubestrapVersion.gitVersion))
    .execute(Array(CommandLine.arguments.dropFirst())))
