import AtomicFile
import FoundationEssentials
import Glibc
import KubeAPI

/// Reads a container's CRI log files the way `kubectl logs` expects them from the kubelet's `/containerLogs`:
/// only the message (or `<timestamp> <message>` with `timestamps`), P(artial) lines joined, with `tailLines`,
/// `sinceSeconds`, `limitBytes`, `previous`, and `follow` (keep reading as the file grows).
struct ContainerLogs {
    struct Options {
        var follow = false
        var previous = false
        var timestamps = false
        var tailLines: Int?
        var sinceSeconds: Int?
        var limitBytes: Int?
    }

    /// The files of one run, oldest first (rotated parts, then the live file).
    /// The size of a log file, 0 when it is missing (rotated away or not written yet).
    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }

    /// Bytes `from..<to` of a file, for following a live log; nil when it cannot be read.
    static func readRange(_ path: String, from: Int, to: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: to - from)
        var done = 0
        while done < out.count {
            let n = out.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(fd, base + done, buffer.count - done, off_t(from + done))
            }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            done += n
        }
        return Array(out[..<done])
    }

    static func files(podLogDir: String, container: String, restartCount: Int) -> [String] {
        let dir = "\(podLogDir)/\(container)"
        let live = "\(restartCount).log"
        let rotated = (AtomicFile.listDirectory(dir) ?? [])
            .filter { $0.hasPrefix(live + ".") }.sorted()
        return (rotated + [live]).map { "\(dir)/\($0)" }.filter { AtomicFile.exists($0) }
    }

    /// One CRI line → the bytes `kubectl logs` shows; nil if it is filtered out by `since`.
    static func render(_ line: Substring, options: Options, since: Date?) -> (text: String, partial: Bool)? {
        let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count >= 3 else { return (String(line) + "\n", false) }
        let timestamp = String(parts[0])
        if let since, let t = parse(timestamp), t < since { return nil }
        let partial = parts[2] == "P"
        let message = parts.count == 4 ? String(parts[3]) : ""
        return ((options.timestamps ? timestamp + " " : "") + message + (partial ? "" : "\n"), partial)
    }

    static func parse(_ text: String) -> Date? { RFC3339.parse(text) }

    /// The whole (non-follow) output.
    static func read(_ paths: [String], options: Options) -> String {
        let since = options.sinceSeconds.map { Date().addingTimeInterval(-Double($0)) }
        var lines: [String] = []
        for path in paths {
            guard let text = (try? AtomicFile.readText(path)) ?? nil else { continue }
            var carry = ""
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                guard let (rendered, partial) = render(line, options: options, since: since) else { continue }
                carry += rendered
                if !partial { lines.append(carry); carry = "" }
            }
            if !carry.isEmpty { lines.append(carry) }
        }
        if let tail = options.tailLines, tail >= 0 { lines = Array(lines.suffix(tail)) }
        var out = lines.joined()
        if let limit = options.limitBytes, out.utf8.count > limit { out = String(decoding: Array(out.utf8.prefix(limit)), as: UTF8.self) }
        return out
    }
}
