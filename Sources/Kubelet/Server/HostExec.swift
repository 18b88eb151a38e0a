import CKubeletShims
import Glibc
import KubeStreams
import NIOCore
import Synchronization

/// A command started for `kubectl exec` in a host-process container: with the container's environment and working
/// directory, in the container's mount namespace when it has its own, on a terminal for `tty`. Its streams are
/// raw connections over the pipe or terminal fds.
struct HostExec {
    let pid: pid_t
    /// stdin (or the terminal, both ways); nil when stdin was not asked for and there is no terminal.
    let input: RawConnection?
    let stdout: RawConnection?
    let stderr: RawConnection?
    /// The terminal's master fd for resizes (`input`'s channel owns a dup of it).
    let terminal: TerminalResizer?

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// The mount namespace to enter: the container process's, when it differs from the kubelet's own.
    static func mountNamespace(pid: Int32?) -> Int32 {
        guard let pid, pid > 0 else { return -1 }
        var mine = stat(), theirs = stat()
        guard stat("/proc/self/ns/mnt", &mine) == 0, stat("/proc/\(pid)/ns/mnt", &theirs) == 0,
              mine.st_ino != theirs.st_ino || mine.st_dev != theirs.st_dev else { return -1 }
        return open("/proc/\(pid)/ns/mnt", O_RDONLY | O_CLOEXEC)
    }

    static func start(command: [String], environment: [(String, String)], workingDir: String?, containerPID: Int32?,
                      stdin: Bool, stdout: Bool, stderr: Bool, tty: Bool) async throws -> HostExec {
        guard let name = command.first, !name.isEmpty else { throw Failure(description: "no command given") }
        let env = environment.map { "\($0.0)=\($0.1)" }
        let searchPath = environment.last { $0.0 == "PATH" }?.1 ?? HostProcess.defaultPath
        let mntns = mountNamespace(pid: containerPID)
        defer { if mntns >= 0 { close(mntns) } }
        var pid: pid_t = 0
        let cwd = (workingDir?.isEmpty ?? true) ? nil : workingDir
        if tty {
            var nameBuffer = [CChar](repeating: 0, count: 128)
            let master = ks_open_pty(&nameBuffer, nameBuffer.count)
            guard master >= 0 else { throw Failure(description: "could not allocate a terminal: \(String(cString: strerror(errno)))") }
            let slave = String(decoding: nameBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let rc = spawn(name, searchPath, command, env, cwd, -1, -1, -1, slave, mntns, &pid)
            guard rc == 0 else { close(master); throw failure(name, rc) }
            let resizeFD = dup(master)
            let channel = try await RawConnection.descriptor(inputOutput: master)
            return HostExec(pid: pid, input: channel, stdout: nil, stderr: nil, terminal: resizeFD >= 0 ? TerminalResizer(resizeFD) : nil)
        }
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        func closeAll() { for fd in inPipe + outPipe + errPipe where fd >= 0 { close(fd) } }
        if stdin, ks_pipe_cloexec(&inPipe) != 0 { closeAll(); throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        if stdout, ks_pipe_cloexec(&outPipe) != 0 { closeAll(); throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        if stderr, ks_pipe_cloexec(&errPipe) != 0 { closeAll(); throw Failure(description: "pipe: \(String(cString: strerror(errno)))") }
        let rc = spawn(name, searchPath, command, env, cwd, inPipe[0], outPipe[1], errPipe[1], nil, mntns, &pid)
        for fd in [inPipe[0], outPipe[1], errPipe[1]] where fd >= 0 { close(fd) }
        guard rc == 0 else {
            for fd in [inPipe[1], outPipe[0], errPipe[0]] where fd >= 0 { close(fd) }
            throw failure(name, rc)
        }
        let input = inPipe[1] >= 0 ? try await RawConnection.descriptor(output: inPipe[1]) : nil
        let out = outPipe[0] >= 0 ? try await RawConnection.descriptor(input: outPipe[0]) : nil
        let err = errPipe[0] >= 0 ? try await RawConnection.descriptor(input: errPipe[0]) : nil
        return HostExec(pid: pid, input: input, stdout: out, stderr: err, terminal: nil)
    }

    /// The wording runc gives a command that cannot be started.
    static func failure(_ name: String, _ rc: Int32) -> Failure {
        if rc == ENOENT {
            return Failure(description: name.contains("/") ? "exec: \"\(name)\": stat \(name): no such file or directory"
                                                            : "exec: \"\(name)\": executable file not found in $PATH")
        }
        return Failure(description: "exec: \"\(name)\": \(String(cString: strerror(rc)))")
    }

    static func spawn(_ name: String, _ searchPath: String, _ argv: [String], _ env: [String], _ cwd: String?,
                      _ stdin: Int32, _ stdout: Int32, _ stderr: Int32, _ tty: String?, _ mntns: Int32, _ pid: inout pid_t) -> Int32 {
        withCStrings(argv) { cArgv in
            withCStrings(env) { cEnv in
                switch (cwd, tty) {
                case (let cwd?, let tty?): return ks_exec_spawn(name, searchPath, cArgv, cEnv, cwd, stdin, stdout, stderr, tty, mntns, &pid)
                case (let cwd?, nil): return ks_exec_spawn(name, searchPath, cArgv, cEnv, cwd, stdin, stdout, stderr, nil, mntns, &pid)
                case (nil, let tty?): return ks_exec_spawn(name, searchPath, cArgv, cEnv, nil, stdin, stdout, stderr, tty, mntns, &pid)
                case (nil, nil): return ks_exec_spawn(name, searchPath, cArgv, cEnv, nil, stdin, stdout, stderr, nil, mntns, &pid)
                }
            }
        }
    }

    func resize(width: UInt16, height: UInt16) {
        terminal?.resize(width: width, height: height)
    }

    /// Waits for the command to end; its exit code (128 + signal for a signal).
    func waitForExit() async -> Int32 {
        let status = await HostProcess(pid: pid, startTicks: 0, stdoutRead: -1, stderrRead: -1, isChild: true).waitForExit()
        terminal?.close()
        return status.exitCode
    }
}

/// A terminal's fd kept for TIOCSWINSZ, closed once when the command ends. A resize from the client can arrive after
/// that; under the lock it finds the fd closed rather than a number another connection may have reused.
final class TerminalResizer: Sendable {
    private let fd: Mutex<Int32>

    init(_ fd: Int32) { self.fd = Mutex(fd) }

    func resize(width: UInt16, height: UInt16) {
        fd.withLock { fd in
            if fd >= 0 { _ = ks_set_window_size(fd, width, height) }
        }
    }

    func close() {
        fd.withLock { fd in
            if fd >= 0 { Glibc.close(fd) }
            fd = -1
        }
    }
}
