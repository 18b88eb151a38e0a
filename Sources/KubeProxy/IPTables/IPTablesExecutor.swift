import Dispatch
import Foundation

/// How the proxier reaches iptables: a program, its arguments and optional standard input; the exit status and
/// what it printed come back. Tests record the calls instead (`RecordingExecutor`).
public protocol IPTablesExecutor: Sendable {
    func run(_ program: String, _ arguments: [String], input: String?) async -> CommandResult
}

public struct CommandResult: Sendable, Equatable {
    public var status: Int32
    public var output: String

    public init(status: Int32, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs the programs from PATH (with /usr/sbin and /sbin added: a service manager's PATH may lack them). Each call
/// waits on a dispatch thread, not on the cooperative pool: a slow `iptables-restore` waiting for the xtables lock
/// must not stall the informers.
public struct ProcessExecutor: IPTablesExecutor {
    public init() {}

    public func run(_ program: String, _ arguments: [String], input: String?) async -> CommandResult {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.runBlocking(program, arguments, input: input))
            }
        }
    }

    static func locate(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
        return dirs.map { $0 + "/" + program }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func runBlocking(_ program: String, _ arguments: [String], input: String?) -> CommandResult {
        guard let executable = locate(program) else { return CommandResult(status: 127, output: "\(program): not found in PATH") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe(), output = Pipe()
        process.standardInput = stdin
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { return CommandResult(status: 127, output: "\(program): \(error)") }
        // Input first, then output: iptables-restore reads all its input before it prints (little), and
        // iptables-save reads none, so neither blocks on a full pipe.
        if let input { try? stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, output: String(decoding: bytes, as: UTF8.self))
    }
}
