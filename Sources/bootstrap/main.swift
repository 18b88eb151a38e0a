import BootstrapPhases
import KubeCommand
import KubestrapVersion

#if canImport(Glibc)
import Glibc
#endif

let root = BootstrapCommand.make(version: KubestrapVersion.gitVersion)
let code = await CommandRunner(root: root).execute(Array(CommandLine.arguments.dropFirst()))
exit(code)
