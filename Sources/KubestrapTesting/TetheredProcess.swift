import Foundation
import Synchronization

/// A child process for a test fixture (etcd, a built kube-apiserver, a tool) that does not outlive the test
/// process, however that ends: a failed expectation, `fatalError`, a crash, SIGKILL.
///
/// Beside the child runs a watcher (`/bin/sh`) whose standard input is one end of a socket pair, the tether. Only
/// this process holds the other end (close-on-exec, so no other child inherits it); when this process dies the
/// kernel closes it, the watcher reads end-of-file and SIGKILLs the child and its process group (Foundation's
/// `Process` makes the child a group leader). `PR_SET_PDEATHSIG` is not used: it fires when the *thread* that
/// forked exits, and Swift's executors and Dispatch retire their worker threads. The watcher is a sibling, not a
/// descendant: Foundation learns that a child exited when every holder of a socket it gives the child has closed
/// it, and a descendant watcher would hold it until the tether is cut.
public final class TetheredProcess: @unchecked Sendable {
    /// The child itself: signal it, wait for it and read its status here; do not `run()` it again.
    public let process: Process
    private let watcher: Process
    /// This process's end of the tether; nil once cut.
    private let tether: Mutex<Int32?>
    public let executable: String

    /// Starts `executable` with `arguments`. Standard input is /dev/null; standard output and error go where
    /// `standardOutput` and `standardError` say (a `FileHandle` or a `Pipe`, as with `Process`), else are inherited.
    public init(executable: String, arguments: [String], environment: [String: String]? = nil,
                currentDirectory: String? = nil, standardOutput: Any? = nil, standardError: Any? = nil) throws {
        self.executable = executable
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.standardInput = FileHandle.nullDevice
        if let standardOutput { process.standardOutput = standardOutput }
        if let standardError { process.standardError = standardError }
        // A socket pair rather than a pipe: it is made close-on-exec in the same call (Glibc's module lacks pipe2),
        // so a child spawned meanwhile by another thread cannot inherit the end that must be this process's alone.
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw TetherError("cannot make the tether for \(executable): \(String(cString: strerror(errno)))")
        }
        let watcherEnd = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        do {
            try process.run()
        } catch {
            close(fds[1])
            throw TetherError("cannot start \(executable): \(error)")
        }
        let pid = process.processIdentifier
        watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The start time tells the child from a later process that got its pid; empty when it is gone already.
        watcher.arguments = ["-c", Self.watcherScript, "tether", String(pid), Self.startTime(of: pid) ?? ""]
        watcher.standardInput = watcherEnd
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        do {
            try watcher.run()
        } catch {
            kill(pid, SIGKILL)
            close(fds[1])
            throw TetherError("cannot start the watcher of \(executable): \(error)")
        }
        // Only the watcher may hold its end; nothing here reads it.
        try? watcherEnd.close()
        tether = Mutex(fds[1])
    }

    deinit { cut() }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The child's exit status (or the number of the signal that ended it), nil while it runs.
    public var exitStatus: Int32? { process.isRunning ? nil : process.terminationStatus }

    /// Ends the child at once (SIGKILL to it and its process group), as the test process dying would. Once the child
    /// has exited, this only ends the watcher.
    public func cut() {
        let fd = tether.withLock { fd in
            defer { fd = nil }
            return fd
        }
        if let fd { close(fd) }
    }

    /// Polls until the child exited; true when it did within `timeout`.
    @discardableResult
    public func waitForExit(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    /// SIGTERM, then SIGKILL when the child is still there after `grace`; its exit status, nil if it did not exit.
    @discardableResult
    public func stop(grace: Duration = .seconds(10)) async -> Int32? {
        if process.isRunning { process.terminate() }
        if await !waitForExit(timeout: grace) {
            cut()
            await waitForExit(timeout: .seconds(30))
        }
        cut()
        return exitStatus
    }

    /// Blocking, for a `deinit` or a `defer`: SIGKILLs the child and waits until it is gone. The signal is also sent
    /// here, not only by the watcher, so this cannot hang if the watcher is gone; the wait is then one exit.
    public func killAndWait() {
        cut()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Whether the child, or a process under it, has a TCP socket listening on `port` (from /proc, so a server that
    /// bound the port is told apart from another process that holds it).
    public func listens(onTCPPort port: Int) -> Bool {
        let inodes = Self.listeningSocketInodes(port: port)
        guard !inodes.isEmpty else { return false }
        for pid in Self.processTree(root: process.processIdentifier) {
            let fdDir = "/proc/\(pid)/fd"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: fdDir)) ?? [] {
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fdDir)/\(entry)"),
                      target.hasPrefix("socket:["), target.hasSuffix("]"),
                      let inode = UInt64(target.dropFirst("socket:[".count).dropLast()) else { continue }
                if inodes.contains(inode) { return true }
            }
        }
        return false
    }

    /// Waits until the child listens on every one of `ports`; false when it exited first or `timeout` passed.
    public func waitUntilListening(on ports: [Int], timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            if ports.allSatisfy(listens(onTCPPort:)) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.isRunning && ports.allSatisfy(listens(onTCPPort:))
    }

    /// `sh -c SCRIPT tether PID STARTTIME` with the tether as standard input: waits for end-of-file (nothing is ever
    /// written), then kills the child's process group and the child, if PID still is the child.
    static let watcherScript = #"""
        read -r _
        [ -n "$2" ] || exit 0
        read -r stat < "/proc/$1/stat" || exit 0
        stat=${stat##*) }
        set -- "$1" "$2" $stat
        # PID and STARTTIME stand where pid and (comm) stood, so field 22, the start time, is ${22}.
        [ "${22}" = "$2" ] || exit 0
        kill -s KILL -- "-$1" 2>/dev/null
        kill -s KILL "$1" 2>/dev/null
        """#

    /// Field 22 of /proc/PID/stat (the start time in clock ticks since boot), nil when there is no such process.
    static func startTime(of pid: Int32) -> String? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let paren = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: paren)...].split(separator: " ")
        return fields.count > 19 ? String(fields[19]) : nil
    }

    static func listeningSocketInodes(port: Int) -> Set<UInt64> {
        var inodes: Set<UInt64> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = readProcFile(table) else { continue }
            // sl local_address rem_address st … inode: the address as HEXIP:HEXPORT, state 0A is LISTEN.
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[3] == "0A", let colon = fields[1].lastIndex(of: ":"),
                      Int(fields[1][fields[1].index(after: colon)...], radix: 16) == port,
                      let inode = UInt64(fields[9]) else { continue }
                inodes.insert(inode)
            }
        }
        return inodes
    }

    /// A /proc file read to its end. Its size reads as 0, and String(contentsOfFile:) then returns only the first
    /// 4 KiB: on a machine with many connections the LISTEN line of a new server is further down /proc/net/tcp.
    static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `root` and every process under it, from each process's parent in /proc/PID/stat.
    static func processTree(root: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let paren = stat.lastIndex(of: ")") else { continue }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: paren)...].split(separator: " ")
            guard fields.count > 1, let parent = Int32(fields[1]) else { continue }
            children[parent, default: []].append(pid)
        }
        var tree: [Int32] = []
        var queue = [root]
        while let next = queue.popLast() {
            tree.append(next)
            queue += children[next] ?? []
        }
        return tree
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before the server that is
/// handed it binds it: start servers on it with a retry on a fresh port (see `TetheredProcess.waitUntilListening`).
public func freeTCPPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TetherError("cannot make a socket to find a free port: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw TetherError("cannot bind 127.0.0.1:0 to find a free port: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}

public struct TetherError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
