import APIServerCommand
import KubeCommand
import KubestrapVersion

#if canImport(Glibc)
import Glibc
#endif

exit(await CommandRunner(root: KubeAPIServerCommand.make(version: KubestrapVersion.gitVersion))
    .execute(Array(CommandLine.arguments.dropFirst())))
