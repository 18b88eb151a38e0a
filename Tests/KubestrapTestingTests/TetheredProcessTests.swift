import Foundation
@testable import KubestrapTesting
import Testing

/// The fixture tether: a child started with `TetheredProcess` dies when its tether is cut and when the process that
/// holds the tether dies, by SIGKILL or by a trap.
@Suite struct TetheredProcessTests {
    static let deadline: Duration = .seconds(30)

    /// /proc files read to their end: /proc/net/tcp on a busy machine is longer than the 4 KiB that
    /// String(contentsOfFile:) returns of a file whose size reads as 0, and a new server's LISTEN line may be past it.
    @Test func procFilesAreReadToTheirEnd() throws {
        let maps = try #require(TetheredProcess.readProcFile("/proc/self/maps"))
        #expect(maps.utf8.count > 4096, "this process maps more than a page's worth of lines")
        #expect(maps.hasSuffix("\n"))
        #expect(TetheredProcess.readProcFile("/proc/self/no-such-file") == nil)
    }

    @Test func aChildDiesWhenItsTetherIsCut() async throws {
        let child = try TetheredProcess(executable: "/bin/sleep", arguments: ["300"])
        let identity = try #require(await ProcessIdentity.await(child.pid, runningCommand: "sleep", timeout: Self.deadline))
        child.cut()
        #expect(await child.waitForExit(timeout: Self.deadline), "sleep outlived its tether")
        #expect(child.process.terminationReason == .uncaughtSignal && child.process.terminationStatus == SIGKILL)
        #expect(!identity.isAlive)
    }

    @Test func signalsAndTheExitStatusAreTheChildsOwn() async throws {
        let child = try TetheredProcess(executable: "/bin/sh", arguments: ["-c", #"trap 'exit 7' TERM; while :; do sleep 0.5; done"#])
        // The shell's loop is running once its sleep is there (half-second sleeps: a poll starved by a loaded machine
        // must still find one alive).
        #expect(await Self.poll(timeout: Self.deadline) { ProcessIdentity.children(of: child.pid).contains { $0.command == "sleep" } })
        #expect(await child.stop() == 7)
        #expect(child.process.terminationReason == .exit)
    }

    @Test func whatTheChildStartedDiesWithIt() async throws {
        let marker = "kubestrap-tether-\(UUID().uuidString)"
        let child = try TetheredProcess(executable: "/bin/sh", arguments: ["-c", "sleep 300 & sleep 301 & wait", marker])
        var sleeps: [ProcessIdentity] = []
        #expect(await Self.poll(timeout: Self.deadline) {
            sleeps = ProcessIdentity.children(of: child.pid).filter { $0.command == "sleep" }
            return sleeps.count == 2
        })
        child.cut()
        #expect(await Self.poll(timeout: Self.deadline) { !sleeps.contains(where: \.isAlive) }, "the child's own children outlived the tether")
    }

    enum Death: String, CaseIterable, Codable, Sendable { case sigkill, fatalError }

    /// The case the tether exists for: the test process itself dies with a fixture running.
    @Test(arguments: Death.allCases)
    func aChildDiesWhenTheProcessHoldingItDies(_ death: Death) async throws {
        let record = NSTemporaryDirectory() + "kubestrap-tether-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: record) }
        let expected: ExitTest.Condition = death == .sigkill ? .signal(SIGKILL) : .failure
        await #expect(processExitsWith: expected) { [record = record as String, death = death as Death] in
            let child = try TetheredProcess(executable: "/bin/sleep", arguments: ["300"])
            guard let identity = await ProcessIdentity.await(child.pid, runningCommand: "sleep", timeout: .seconds(30)) else { return }
            try "\(identity.pid) \(identity.startTime)".write(toFile: record, atomically: true, encoding: .utf8)
            switch death {
            case .sigkill: kill(getpid(), SIGKILL)
            case .fatalError: fatalError("dying with a tethered child on purpose")
            }
        }
        let fields = try String(contentsOfFile: record, encoding: .utf8).split(separator: " ")
        let pid = try #require(fields.first.flatMap { Int32($0) }, "the exit test wrote no pid: \(fields)")
        let identity = ProcessIdentity(pid: pid, startTime: String(fields.last ?? ""), command: "sleep")
        #expect(await Self.poll(timeout: Self.deadline) { !identity.isAlive }, "sleep \(identity.pid) outlived the process that started it")
    }

    static func poll(timeout: Duration, _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }
}

/// A process as /proc shows it: its pid with its start time, so a reused pid is not mistaken for it.
struct ProcessIdentity: Sendable {
    let pid: Int32
    let startTime: String
    let command: String

    init(pid: Int32, startTime: String, command: String) {
        self.pid = pid
        self.startTime = startTime
        self.command = command
    }

    /// Fields after "pid (comm)" in /proc/PID/stat (field 3 onwards), and comm.
    static func stat(_ pid: Int32) -> (fields: [Substring], command: String)? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        return (text[text.index(after: close)...].split(separator: " "), String(text[text.index(after: open)..<close]))
    }

    init?(pid: Int32) {
        // starttime is field 22, the 20th after comm; state is the first.
        guard let (fields, command) = Self.stat(pid), fields.count > 19 else { return nil }
        self.init(pid: pid, startTime: String(fields[19]), command: command)
    }

    /// Still running (not a zombie) with the same start time.
    var isAlive: Bool {
        guard let (fields, _) = Self.stat(pid), fields.count > 19 else { return false }
        return fields[0] != "Z" && fields[19] == startTime
    }

    /// Waits until `pid` runs `command` (the wrapper shell has exec'd it).
    static func await(_ pid: Int32, runningCommand command: String, timeout: Duration) async -> ProcessIdentity? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let identity = ProcessIdentity(pid: pid), identity.command == command { return identity }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    static func children(of parent: Int32) -> [ProcessIdentity] {
        TetheredProcess.processTree(root: parent).dropFirst().compactMap { ProcessIdentity(pid: $0) }
    }
}
