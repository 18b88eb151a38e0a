import FoundationEssentials
import Glibc
import CKubeletShims

/// How a process ended.
public enum ExitStatus: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)
    /// The process was adopted from a previous kubelet, which was its parent; its exit code cannot be read.
    case unknown

    /// The exit code upstream reports (128 + signal for a signal).
    public var exitCode: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        case .unknown: return 255
        }
    }
}

/// A container's process on the host: its pid, the kernel's start time (to recognise the same process after a
/// kubelet restart) and the read ends of its stdout/stderr pipes.
public struct HostProcess: Sendable {
    public let pid: pid_t
    public let startTicks: UInt64
    let stdoutRead: Int32
    let stderrRead: Int32
    /// True when this kubelet started it (so `waitpid` can read its exit status).
    let isChild: Bool

    /// Starts `argv` in its own session with the given environment and working directory, in a mount namespace of
    /// its own where each of `mounts` is bound at its container path (see `MountNamespace`), or, with
    /// `joiningMountNamespaceOf`, in the mount namespace of that (container) process.
    /// The child also holds the read ends of its output pipes (as fds 3 and 4), so a kubelet that dies never
    /// leaves it writing into a pipe without a reader, and a restarted kubelet can reopen them via /proc.
    static func spawn(argv: [String], environment: [String], workingDir: String?,
                      mounts: [ContainerMount] = [], joiningMountNamespaceOf container: pid_t? = nil) throws(RuntimeError) -> HostProcess {
        guard let first = argv.first else { throw RuntimeError("no command to run") }
        let binds = try MountNamespace.prepare(mounts)
        var namespaceFD: Int32 = -1
        if let container {
            namespaceFD = open("/proc/\(container)/ns/mnt", O_RDONLY | O_CLOEXEC)
            guard namespaceFD >= 0 else {
                throw RuntimeError("cannot enter the mount namespace of process \(container): \(String(cString: strerror(errno)))")
            }
        }
        defer { if namespaceFD >= 0 { close(namespaceFD) } }
        // Inside the namespace the command and the working directory are looked up after the mounts are made.
        let path: String
        if let container {
            path = try resolveExecutable(first, environment: environment, inNamespaceOf: container)
        } else {
            path = try resolveExecutable(first, environment: environment, mounts: mounts)
        }
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        guard ks_pipe_cloexec(&outPipe) == 0 else { throw RuntimeError("pipe: \(String(cString: strerror(errno)))") }
        guard ks_pipe_cloexec(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw RuntimeError("pipe: \(String(cString: strerror(errno)))")
        }
        var pid: pid_t = 0
        var failure = ks_spawn_failure()
        let rc = withCStrings(argv) { cArgv in
            withCStrings(environment) { cEnv in
                MountNamespace.withBindMounts(binds) { cMounts, count in
                    let required: Int32 = binds.isEmpty ? 0 : 1
                    if let workingDir {
                        return ks_spawn_in_mount_namespace(path, cArgv, cEnv, workingDir, outPipe[1], errPipe[1], outPipe[0], errPipe[0],
                                                           cMounts, count, required, namespaceFD, &pid, &failure)
                    }
                    return ks_spawn_in_mount_namespace(path, cArgv, cEnv, nil, outPipe[1], errPipe[1], outPipe[0], errPipe[0],
                                                       cMounts, count, required, namespaceFD, &pid, &failure)
                }
            }
        }
        close(outPipe[1])
        close(errPipe[1])
        guard rc == 0 else {
            close(outPipe[0]); close(errPipe[0])
            throw RuntimeError(MountNamespace.describe(failure, errno: rc, path: path, workingDir: workingDir, mounts: binds))
        }
        return HostProcess(pid: pid, startTicks: ks_process_start_ticks(pid), stdoutRead: outPipe[0],
                           stderrRead: errPipe[0], isChild: true)
    }

    /// Re-attaches to a process a previous kubelet started, if it is still the same process (same start time).
    static func adopt(pid: pid_t, startTicks: UInt64) -> HostProcess? {
        guard pid > 0, Self.isRunning(pid: pid, startTicks: startTicks) else { return nil }
        let out = open("/proc/\(pid)/fd/3", O_RDONLY | O_CLOEXEC)
        let err = open("/proc/\(pid)/fd/4", O_RDONLY | O_CLOEXEC)
        return HostProcess(pid: pid, startTicks: startTicks, stdoutRead: out, stderrRead: err, isChild: false)
    }

    /// True while the process runs and is the one we started.
    var isAlive: Bool { Self.isRunning(pid: pid, startTicks: startTicks) }

    /// A zombie has exited: it only waits for its parent (init, after a kubelet restart) to reap it.
    static func isRunning(pid: pid_t, startTicks: UInt64) -> Bool {
        let state = ks_process_state(pid)
        return state != 0 && state != CChar(UInt8(ascii: "Z")) && ks_process_start_ticks(pid) == startTicks
    }

    /// Sends a signal to the whole process group (the container process is its session and group leader).
    func signal(_ sig: Int32) {
        if kill(-pid, sig) != 0 { _ = kill(pid, sig) }
    }

    /// Waits for the process to end, on a dedicated thread.
    func waitForExit() async -> ExitStatus {
        let pid = self.pid
        let isChild = self.isChild
        return await withCheckedContinuation { continuation in
            BlockingThread.start(name: "wait \(pid)") {
                if isChild {
                    var status: Int32 = 0
                    while true {
                        let r = waitpid(pid, &status, 0)
                        if r == pid { break }
                        if r < 0 && errno == EINTR { continue }
                        continuation.resume(returning: .unknown)
                        return
                    }
                    // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the macros are not imported).
                    if status & 0x7f == 0 {
                        continuation.resume(returning: .exited((status >> 8) & 0xff))
                    } else {
                        continuation.resume(returning: .signaled(status & 0x7f))
                    }
                } else {
                    let fd = ks_pidfd_open(pid)
                    if fd >= 0 {
                        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                        while poll(&pfd, 1, -1) < 0 && errno == EINTR {}
                        close(fd)
                    } else {
                        while kill(pid, 0) == 0 { usleep(100_000) }
                    }
                    continuation.resume(returning: .unknown)
                }
            }
        }
    }

    /// The executable's path; a path under one of `mounts` is checked where it lies on the host.
    static func resolveExecutable(_ name: String, environment: [String], mounts: [ContainerMount] = []) throws(RuntimeError) -> String {
        if name.contains("/") {
            guard access(MountNamespace.hostPath(of: name, in: mounts), X_OK) == 0 else {
                throw RuntimeError("exec: \"\(name)\": \(String(cString: strerror(errno)))")
            }
            return name
        }
        let pathValue = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? defaultPath
        for dir in pathValue.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            var st = stat()
            if access(candidate, X_OK) == 0, stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { return candidate }
        }
        throw RuntimeError("exec: \"\(name)\": executable file not found in $PATH")
    }

    /// The executable as `name` resolves inside a running container: looked up under /proc/<pid>/root, which is
    /// that process's view of the file system (its mounts included); the path returned is the container's.
    static func resolveExecutable(_ name: String, environment: [String], inNamespaceOf container: pid_t) throws(RuntimeError) -> String {
        let root = "/proc/\(container)/root"
        if name.contains("/") {
            guard access(root + name, X_OK) == 0 else {
                throw RuntimeError("exec: \"\(name)\": \(String(cString: strerror(errno)))")
            }
            return name
        }
        let pathValue = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? defaultPath
        for dir in pathValue.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            var st = stat()
            if access(root + candidate, X_OK) == 0, stat(root + candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG { return candidate }
        }
        throw RuntimeError("exec: \"\(name)\": executable file not found in $PATH")
    }

    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
}

public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}

func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
