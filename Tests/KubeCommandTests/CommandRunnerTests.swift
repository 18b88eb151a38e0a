import Testing
import Synchronization
@testable import KubeCommand
import KubestrapTesting

/// Records the invocation a command received.
final class Recorder: @unchecked Sendable {
    private let lock = Mutex<Invocation?>(nil)
    func set(_ i: Invocation) { lock.withLock { $0 = i } }
    var invocation: Invocation? { lock.withLock { $0 } }
}

func tree(_ recorder: Recorder) -> Command {
    let leaf = Command(name: "all", short: "all of it",
                       flags: [Flag("cert-dir", default: "/etc/kubernetes/pki", usage: "dir"),
                               Flag("sans", kind: .strings, usage: "sans"),
                               Flag("port", kind: .int, default: "6443", usage: "port"),
                               Flag("qps", kind: .float32, default: "50", usage: "qps"),
                               Flag("dry-run", kind: .bool, usage: "dry"),
                               Flag("output", shorthand: "o", usage: "format")],
                       run: { recorder.set($0) })
    let certs = Command(name: "certs", short: "certs", subcommands: [leaf])
    return Command(name: "bootstrap", short: "root",
                   persistentFlags: [Flag("v", shorthand: "v", kind: .level, default: "0", usage: "verbosity")],
                   subcommands: [certs])
}

@Suite struct CommandRunnerTests {
    @Test func parsesBothFlagFormsAndFindsTheSubcommand() async throws {
        let recorder = Recorder()
        let output = CapturedOutput()
        let code = await CommandRunner(root: tree(recorder), output: output)
            .execute(["certs", "--cert-dir=/a", "all", "--sans", "x,y", "--sans=z", "-o", "json", "--dry-run", "-v", "5"])
        #expect(code == 0, "stderr: \(output.stderr)")
        let inv = try #require(recorder.invocation)
        #expect(inv.commandPath == ["bootstrap", "certs", "all"])
        #expect(inv.flags.string("cert-dir") == "/a")
        #expect(inv.flags.strings("sans") == ["x", "y", "z"])
        #expect(inv.flags.string("output") == "json")
        #expect(inv.flags.bool("dry-run"))
        #expect(inv.flags.string("v") == "5")
        #expect(!inv.flags.changed("port"))
        #expect(try inv.flags.int("port") == 6443)
        #expect(try inv.flags.float("qps") == 50)
    }

    @Test func unknownFlagUsesUpstreamWording() async {
        let output = CapturedOutput()
        let code = await CommandRunner(root: tree(Recorder()), output: output).execute(["certs", "all", "--foo"])
        #expect(code == 1)
        #expect(output.stderr.hasPrefix("Error: unknown flag: --foo"))
    }

    @Test func badValuesAreRejectedWithTheFlagName() async {
        for (args, expected) in [(["certs", "all", "--port", "abc"], "invalid argument \"abc\" for \"--port\""),
                                 (["certs", "all", "--cert-dir"], "flag needs an argument: --cert-dir"),
                                 (["certs", "all", "--qps=fast"], "invalid argument \"fast\" for \"--qps\" flag: strconv.ParseFloat"),
                                 (["certs", "all", "--qps=nan"], "invalid argument \"nan\" for \"--qps\""),
                                 (["certs", "all", "--qps=1e300"], "invalid argument \"1e300\" for \"--qps\""),
                                 (["certs", "all", "--dry-run=maybe"], "invalid argument \"maybe\" for \"--dry-run\""),
                                 (["certs", "nope"], "unknown command \"nope\" for \"bootstrap certs\"")] {
            let output = CapturedOutput()
            let code = await CommandRunner(root: tree(Recorder()), output: output).execute(args)
            #expect(code == 1)
            #expect(output.stderr.contains(expected), "for \(args): \(output.stderr)")
        }
    }

    @Test func helpListsLocalAndGlobalFlagsWithDefaults() async {
        let output = CapturedOutput()
        let code = await CommandRunner(root: tree(Recorder()), output: output).execute(["certs", "all", "--help"])
        #expect(code == 0)
        #expect(output.stdout.contains("Usage:\n  bootstrap certs all [flags]"))
        #expect(output.stdout.contains("--cert-dir string"))
        #expect(output.stdout.contains("(default \"/etc/kubernetes/pki\")"))
        #expect(output.stdout.contains("Global Flags:\n  -v, --v Level"))
    }

    @Test func doubleDashEndsFlags() async {
        let recorder = Recorder()
        let code = await CommandRunner(root: tree(recorder), output: CapturedOutput()).execute(["certs", "all", "--", "--not-a-flag"])
        #expect(code == 0)
        #expect(recorder.invocation?.arguments == ["--not-a-flag"])
    }
}
