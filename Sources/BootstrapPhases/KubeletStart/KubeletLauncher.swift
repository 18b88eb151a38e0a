import AtomicFile
import Foundation
import Glibc

/// Starts or stops the kubelet: with systemd as PID 1 through `systemctl`, otherwise as a detached daemon
/// (its own session, output appended to a log file, pid in a pid file).
struct KubeletLauncher {
    let paths: InitPaths
    let reporter: Reporter
    let kubeconfigDir: String

    init<D: InitData>(data: D) {
        paths = data.paths
        reporter = data.reporter
        kubeconfigDir = data.kubeconfigDir
    }

    init(paths: InitPaths, reporter: Reporter, kubeconfigDir: String) {
        self.paths = paths
        self.reporter = reporter
        self.kubeconfigDir = kubeconfigDir
    }

    struct LaunchError: Error, CustomStringConvertible { let description: String }

    /// sd_booted(): systemd is PID 1 when /run/systemd/system exists.
    static var systemdIsInit: Bool { FileManager.default.fileExists(atPath: "/run/systemd/system") }

    /// Runs a command and returns its exit status and output. popen/pclose rather than Foundation's Process,
    /// whose waitUntilExit never returns when called from a Swift concurrency thread on Linux.
    static func run(_ argv: [String]) -> (Int32, String) {
        let command = argv.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ") + " 2>&1"
        return shell(command)
    }

    static func shell(_ command: String) -> (Int32, String) {
        // From / : the caller's working directory may not exist where it runs (nsenter into a container).
        guard let pipe = popen("cd / && " + command, "r") else { return (127, "cannot run \(command)") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, pipe)
            if n <= 0 { break }
            output += buffer[0..<n]
        }
        let status = pclose(pipe)
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, String(decoding: output, as: UTF8.self))
    }

    static func systemctl(_ args: [String]) -> (Int32, String) {
        let path = ["/usr/bin/systemctl", "/bin/systemctl"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/usr/bin/systemctl"
        return run([path] + args)
    }

    /// The kubelet's command line as the unit would run it (drop-in arguments + kubeadm-flags.env).
    func commandLine() -> [String] {
        var argv = [paths.installedKubelet, "--kubeconfig=\(kubeconfigDir)/kubelet.conf", "--config=\(paths.kubeletConfigFile)"]
        if let env = try? String(contentsOfFile: paths.kubeletFlagsFile, encoding: .utf8),
           let start = env.firstIndex(of: "\""), let end = env.lastIndex(of: "\""), start < end {
            argv += env[env.index(after: start)..<end].split(separator: " ").map(String.init)
        }
        return argv
    }

    func start() throws {
        if Self.systemdIsInit {
            for args in [["daemon-reload"], ["enable", "kubelet"], ["restart", "kubelet"]] {
                let (code, out) = Self.systemctl(args)
                if code != 0 { throw LaunchError(description: "systemctl \(args.joined(separator: " ")) failed: \(out)") }
            }
            return
        }
        stop()
        try AtomicFile.makeDirectories(paths.logDir)
        try AtomicFile.makeDirectories(paths.runDir)
        let argv = commandLine()
        // setsid + output to the log file, detached from this terminal; survives bootstrap's exit.
        let script = "exec setsid " + argv.map { "'\($0)'" }.joined(separator: " ") + " >>'\(paths.kubeletLogFile)' 2>&1 </dev/null & echo $!"
        let (code, out) = Self.shell(script)
        guard code == 0, let pid = Int32(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LaunchError(description: "could not start \(argv[0]): \(out)")
        }
        try AtomicFile.write("\(pid)\n", to: paths.kubeletPIDFile)
        reporter.say("[kubelet-start] systemd is not PID 1 on this host: started the kubelet as a daemon (pid \(pid), pid file \(paths.kubeletPIDFile))")
        reporter.say("[kubelet-start] The kubelet's log is \(paths.kubeletLogFile)")
    }

    func pidFile(_ component: ControlPlaneComponent) -> String { paths.runDir + "/" + component.rawValue + ".pid" }

    /// `--control-plane-mode=systemd`: a control-plane component as its own unit; without systemd, a daemon like the kubelet.
    func startUnit(_ component: ControlPlaneComponent) throws {
        let name = component.rawValue
        let unit = paths.systemdDir + "/" + component.unitFile
        if Self.systemdIsInit {
            for args in [["daemon-reload"], ["enable", name], ["restart", name]] {
                let (code, out) = Self.systemctl(args)
                if code != 0 { throw LaunchError(description: "systemctl \(args.joined(separator: " ")) failed: \(out)") }
            }
            return
        }
        guard let text = try? String(contentsOfFile: unit, encoding: .utf8), let command = Self.shellCommand(unit: text) else {
            throw LaunchError(description: "cannot read ExecStart from \(unit)")
        }
        let log = paths.logDir + "/" + name + ".log"
        try AtomicFile.makeDirectories(paths.logDir)
        try AtomicFile.makeDirectories(paths.runDir)
        let (code, out) = Self.shell("exec setsid \(command) >>'\(log)' 2>&1 </dev/null & echo $!")
        guard code == 0, let pid = Int32(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw LaunchError(description: "could not start \(name) from \(unit): \(out)")
        }
        try AtomicFile.write("\(pid)\n", to: pidFile(component))
        reporter.say("[kubelet-start] started \(name) as a daemon (pid \(pid), pid file \(pidFile(component))); its log is \(log)")
    }

    /// A unit's ExecStart (continued over `\` lines) as a shell command line, each word quoted: the shell must not
    /// glob `--controllers=*,bootstrapsigner,tokencleaner`.
    static func shellCommand(unit text: String) -> String? {
        guard let exec = text.components(separatedBy: "\nExecStart=").dropFirst().first else { return nil }
        let words = exec.components(separatedBy: "\n").prefix { !$0.hasPrefix("Restart") }.joined(separator: " ")
            .replacingOccurrences(of: "\\", with: " ").split(whereSeparator: { $0 == " " })
        guard !words.isEmpty else { return nil }
        return words.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    }

    /// Stops the control-plane components run by `startUnit`, the scheduler and controller manager first.
    func stopUnits() {
        for component in ControlPlaneComponent.allCases.reversed() {
            let name = component.rawValue
            if Self.systemdIsInit, FileManager.default.fileExists(atPath: paths.systemdDir + "/" + component.unitFile) {
                _ = Self.systemctl(["disable", "--now", name])
            }
            let pidFile = pidFile(component)
            if let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
               // Only if it still runs that binary (the pid may have been reused).
               ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains(name) {
                stop(pid: pid)
            }
            unlink(pidFile)
        }
    }

    /// Stops the kubelet started by `start` (systemd unit or pid file); its pods keep running.
    @discardableResult
    func stop() -> Bool {
        if Self.systemdIsInit, FileManager.default.fileExists(atPath: paths.systemdDir + "/kubelet.service") {
            _ = Self.systemctl(["stop", "kubelet"])
            return true
        }
        var pids: [Int32] = []
        if let text = try? String(contentsOfFile: paths.kubeletPIDFile, encoding: .utf8),
           let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
           // Only if it is still a kubelet (the pid may have been reused).
           ((try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? "").contains("kubelet") {
            pids.append(pid)
        }
        // A kubelet started some other way (by hand, or by an init that was interrupted) runs the installed binary.
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), !pids.contains(pid),
                  (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(entry)/exe")) == paths.installedKubelet else { continue }
            pids.append(pid)
        }
        unlink(paths.kubeletPIDFile)
        guard !pids.isEmpty else { return false }
        for pid in pids { stop(pid: pid) }
        return true
    }

    func stop(pid: Int32) {
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while kill(pid, 0) == 0, Date() < deadline {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
            if state == "Z" { break }
            usleep(20_000)
        }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }
}
