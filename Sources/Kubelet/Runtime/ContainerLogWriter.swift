import AtomicFile
import FoundationEssentials
import KubeAPI
import Dispatch
import Glibc

/// Copies a container's stdout and stderr into its log file in the CRI format kubelet uses
/// (`2025-12-03T04:57:47.799512909Z stdout F line`; `P` marks a partial line), rotating by size.
/// Runs on its own thread until both pipes are closed.
final class ContainerLogWriter: @unchecked Sendable {
    static let maxLineLength = 16 * 1024

    let path: String
    let maxSize: Int64
    let maxFiles: Int
    private let finished = DispatchSemaphore(value: 0)

    init(path: String, stdoutFD: Int32, stderrFD: Int32, maxSize: Int64, maxFiles: Int) {
        self.path = path
        self.maxSize = maxSize
        self.maxFiles = maxFiles
        let done = finished
        let initialFile = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        BlockingThread.start(name: "logs") {
            var file = initialFile
            var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)]
            var pending: [[UInt8]] = [[], []]
            let streams = ["stdout", "stderr"]
            var buffer = [UInt8](repeating: 0, count: 32 * 1024)
            var written: Int64 = Int64(lseek(file, 0, SEEK_END))

            func emit(_ stream: Int, _ line: ArraySlice<UInt8>, partial: Bool) {
                var ts = timespec()
                clock_gettime(CLOCK_REALTIME, &ts)
                var record = Array("\(RFC3339.formatNano(ts)) \(streams[stream]) \(partial ? "P" : "F") ".utf8)
                record.append(contentsOf: line)
                record.append(0x0a)
                if written + Int64(record.count) > maxSize && written > 0 {
                    close(file)
                    ContainerLogWriter.rotate(path: path, keep: maxFiles)
                    file = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
                    written = 0
                }
                AtomicFile.writeAll(fd: file, bytes: record)
                written += Int64(record.count)
            }

            while fds[0].fd >= 0 || fds[1].fd >= 0 {
                let n = poll(&fds, 2, -1)
                if n < 0 { if errno == EINTR { continue }; break }
                for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                    let count = buffer.withUnsafeMutableBytes { read(fds[i].fd, $0.baseAddress, $0.count) }
                    if count <= 0 {
                        if count < 0 && errno == EINTR { continue }
                        if !pending[i].isEmpty { emit(i, pending[i][...], partial: false); pending[i] = [] }
                        close(fds[i].fd)
                        fds[i].fd = -1
                        continue
                    }
                    pending[i].append(contentsOf: buffer[0..<count])
                    while let newline = pending[i].firstIndex(of: 0x0a) {
                        // A line over the limit is split into P chunks even when complete, as containerd does.
                        var start = 0
                        while newline - start > ContainerLogWriter.maxLineLength {
                            emit(i, pending[i][start..<(start + ContainerLogWriter.maxLineLength)], partial: true)
                            start += ContainerLogWriter.maxLineLength
                        }
                        emit(i, pending[i][start..<newline], partial: false)
                        pending[i].removeSubrange(...newline)
                    }
                    while pending[i].count >= ContainerLogWriter.maxLineLength {
                        emit(i, pending[i][..<ContainerLogWriter.maxLineLength], partial: true)
                        pending[i].removeSubrange(..<ContainerLogWriter.maxLineLength)
                    }
                }
            }
            close(file)
            done.signal()
        }
    }

    /// Waits (off the cooperative pool) until the pipes are drained, up to `timeout` seconds.
    func waitUntilDrained(timeout: Double) async {
        let done = finished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                _ = done.wait(timeout: .now() + timeout)
                done.signal()
                continuation.resume()
            }
        }
    }

    /// `0.log` → `0.log.20251125-061157.123456`, keeping at most `keep - 1` rotated files next to the live one.
    static func rotate(path: String, keep: Int) {
        // 2025-11-25T06:11:57.123456Z → 20251125-061157.123456; a chatty container can fill a small log twice
        // within one timestamp, so a taken name gets a counter rather than overwriting the earlier file.
        let stamp = String(RFC3339.format(Date(), fractionDigits: 6).filter { $0 != "-" && $0 != ":" && $0 != "Z" }
            .map { $0 == "T" ? "-" : $0 })
        var target = "\(path).\(stamp)"
        var counter = 1
        while AtomicFile.exists(target) {
            target = "\(path).\(stamp)-\(counter)"
            counter += 1
        }
        rename(path, target)
        let dir = AtomicFile.directoryName(of: path)
        let base = AtomicFile.baseName(of: path)
        let rotated = (AtomicFile.listDirectory(dir) ?? [])
            .filter { $0.hasPrefix(base + ".") }.sorted()
        for old in rotated.dropLast(max(keep - 1, 0)) {
            unlink("\(dir)/\(old)")
        }
    }
}
