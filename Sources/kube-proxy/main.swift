import KubeCommand
import KubeProxy
import KubestrapVersion

#if canImport(Glibc)
import Glibc
#endif

exit(await CommandRunner(root: KubeProxyCommand.make(version: KubestrapVersion.gitVersion))
    .execute(Array(CommandLine.arguments.dropFirst())))
