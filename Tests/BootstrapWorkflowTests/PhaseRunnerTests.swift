import Testing
import Synchronization
@testable import BootstrapWorkflow

final class CallLog: Sendable {
    let calls = Mutex<[String]>([])
    func record(_ name: String) { calls.withLock { $0.append(name) } }
    var all: [String] { calls.withLock { $0 } }
}

struct Failure: Error, CustomStringConvertible { var description: String { "boom" } }

func sampleRunner(log: CallLog, failOn: String? = nil, skipIf: String? = nil) -> PhaseRunner<Int> {
    func leaf(_ name: String, _ path: String) -> Phase<Int> {
        Phase(name: name, short: name,
              runIf: skipIf == path ? { @Sendable _ in false } : nil,
              run: { _ in
                  log.record(path)
                  if path == failOn { throw Failure() }
              })
    }
    return PhaseRunner(phases: [
        leaf("preflight", "preflight"),
        Phase(name: "certs", short: "certs", phases: [
            Phase(name: "all", short: "all", runAllSiblings: true),
            leaf("ca", "certs/ca"),
            leaf("apiserver", "certs/apiserver"),
        ], runIf: skipIf == "certs" ? { @Sendable _ in false } : nil, run: { _ in log.record("certs") }),
        leaf("kubeconfig", "kubeconfig"),
    ])
}

@Suite struct PhaseRunnerTests {
    @Test func runsParentsBeforeChildrenInOrderAndSkipsAll() async throws {
        let log = CallLog()
        try await sampleRunner(log: log).run(data: 0)
        #expect(log.all == ["preflight", "certs", "certs/ca", "certs/apiserver", "kubeconfig"])
    }

    @Test func filterSelectsASubtreeAndAllMeansTheSiblings() throws {
        let runner = sampleRunner(log: CallLog())
        #expect(try runner.plan(only: "certs/apiserver") == ["certs", "certs/apiserver"])
        #expect(try runner.plan(only: "certs/all") == ["certs", "certs/ca", "certs/apiserver"])
        #expect(try runner.plan(only: "certs") == ["certs", "certs/ca", "certs/apiserver"])
    }

    @Test func skipCoversChildrenAndBeatsFilter() throws {
        let runner = sampleRunner(log: CallLog())
        #expect(try runner.plan(skip: ["certs"]) == ["preflight", "kubeconfig"])
        #expect(try runner.plan(skip: ["certs/ca"]) == ["preflight", "certs", "certs/apiserver", "kubeconfig"])
        #expect(try runner.plan(only: "certs", skip: ["certs/apiserver"]) == ["certs", "certs/ca"])
    }

    @Test func unknownPhaseNamesAreErrors() {
        let error = #expect(throws: UnknownPhaseError.self) { try sampleRunner(log: CallLog()).plan(skip: ["certz"]) }
        #expect(error?.name == "certz")
        #expect(error?.known.contains("certs/apiserver") == true)
    }

    @Test func failureStopsTheRunAndNamesThePhase() async {
        let log = CallLog()
        let error = await #expect(throws: PhaseError.self) { try await sampleRunner(log: log, failOn: "certs/ca").run(data: 0) }
        #expect(error?.description == "error execution phase certs/ca: boom")
        #expect(log.all == ["preflight", "certs", "certs/ca"])
    }

    @Test func runIfFalseSkipsThePhaseAndItsChildren() async throws {
        let log = CallLog()
        try await sampleRunner(log: log, skipIf: "certs").run(data: 0)
        #expect(log.all == ["preflight", "kubeconfig"])
    }

    @Test func helpListingIndentsChildren() {
        let text = sampleRunner(log: CallLog()).helpListing(commandName: "init")
        #expect(text.contains("The \"init\" command executes the following phases:"))
        #expect(text.contains("\n  /ca"))
    }
}
