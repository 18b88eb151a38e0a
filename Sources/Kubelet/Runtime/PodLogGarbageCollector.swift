import AtomicFile
import Glibc

/// Removes the logs of pods that no longer run, as upstream's container garbage collection does: the
/// `<podLogsDir>/<namespace>_<name>_<uid>` directory and the `<containerLogsDir>/*.log` links into it. Each edit
/// of a manifest is a new pod (a new UID), so without this /var/log/pods grows with every edit. A gone pod's logs
/// are kept for `minAge` after their last write, long enough to read why a replaced pod failed.
struct PodLogGarbageCollector {
    let podLogsDir: String
    let containerLogsDir: String
    var minAge: Double = 60

    /// Sweeps once; returns the pod log directories it removed.
    @discardableResult
    func sweep(activeUIDs: Set<String>, now: Double) -> [String] {
        var removed: [String] = []
        for name in AtomicFile.listDirectory(podLogsDir) ?? [] {
            // <namespace>_<name>_<uid>; names and namespaces cannot hold "_", UIDs cannot either.
            let parts = name.split(separator: "_")
            guard parts.count == 3, !activeUIDs.contains(String(parts[2])) else { continue }
            let dir = "\(podLogsDir)/\(name)"
            guard now - Self.lastWrite(under: dir) >= minAge else { continue }
            do {
                try AtomicFile.removeTree(dir)
                removed.append(dir)
            } catch {
                continue
            }
        }
        removeDanglingLinks()
        return removed
    }

    /// Links in the container log directory that point into the pod log directory at a file that is gone.
    private func removeDanglingLinks() {
        for name in AtomicFile.listDirectory(containerLogsDir) ?? [] where name.hasSuffix(".log") {
            let link = "\(containerLogsDir)/\(name)"
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(link, &buffer, buffer.count - 1)
            guard length > 0 else { continue }
            let target = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard target.hasPrefix(podLogsDir + "/"), !AtomicFile.exists(target) else { continue }
            unlink(link)
        }
    }

    /// The newest modification time of the directory or anything up to two levels below it (container
    /// directories and their log files), in seconds since the epoch.
    static func lastWrite(under dir: String) -> Double {
        var newest = modificationTime(dir)
        for container in AtomicFile.listDirectory(dir) ?? [] {
            let path = "\(dir)/\(container)"
            newest = max(newest, modificationTime(path))
            for file in AtomicFile.listDirectory(path) ?? [] {
                newest = max(newest, modificationTime("\(path)/\(file)"))
            }
        }
        return newest
    }

    private static func modificationTime(_ path: String) -> Double {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        return Double(st.st_mtim.tv_sec) + Double(st.st_mtim.tv_nsec) / 1e9
    }
}
