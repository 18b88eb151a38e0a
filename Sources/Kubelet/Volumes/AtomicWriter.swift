import AtomicFile
import FoundationEssentials
import Glibc

/// One file of a volume's content: its bytes and permission bits.
struct FileProjection: Sendable, Equatable {
    var data: [UInt8]
    var mode: mode_t

    init(_ data: [UInt8], mode: mode_t) {
        self.data = data
        self.mode = mode
    }

    init(_ text: String, mode: mode_t) { self.init(Array(text.utf8), mode: mode) }
}

/// Writes a volume's whole content so that a container sees either the old set of files or the new one, never a
/// mix (upstream's AtomicWriter): the files go into a fresh `..<timestamp>` directory, the `..data` symlink is
/// pointed at it with one rename, and each top-level name is a symlink through `..data`. A container that bind
/// mounts the directory therefore follows every update, and a key that disappears from the payload disappears from
/// the directory.
struct AtomicWriter: Sendable {
    let targetDir: String

    static let dataDirName = "..data"
    static let newDataDirName = "..data_tmp"

    /// Writes `payload` (relative path → file) if it differs from what is there; returns whether it wrote.
    @discardableResult
    func write(_ payload: [String: FileProjection]) throws(VolumeError) -> Bool {
        var cleaned: [String: FileProjection] = [:]
        for (path, file) in payload {
            let clean = try Self.validate(path)
            cleaned[clean] = file
        }
        do { try AtomicFile.makeDirectories(targetDir, mode: 0o755) } catch {
            throw VolumeError("\(error)")
        }
        let dataLink = "\(targetDir)/\(Self.dataDirName)"
        let oldTimestampDir = Self.readLink(dataLink)
        let oldPaths: Set<String> = oldTimestampDir.map { Self.files(under: "\(targetDir)/\($0)") } ?? []
        let newTopLevel = Set(cleaned.keys.map(Self.topLevel))
        let oldTopLevel = Set(oldPaths.map(Self.topLevel))

        if let old = oldTimestampDir, oldPaths == Set(cleaned.keys),
           cleaned.allSatisfy({ Self.matches("\(targetDir)/\(old)/\($0.key)", $0.value) }),
           newTopLevel.allSatisfy({ Self.exists("\(targetDir)/\($0)") }) {
            return false
        }

        let timestampDir = try makeTimestampDir()
        let timestampPath = "\(targetDir)/\(timestampDir)"
        do {
            for (path, file) in cleaned.sorted(by: { $0.key < $1.key }) {
                try Self.writeFile("\(timestampPath)/\(path)", file)
            }
        } catch {
            try? AtomicFile.removeTree(timestampPath)
            throw error
        }

        let newLink = "\(targetDir)/\(Self.newDataDirName)"
        unlink(newLink)
        guard symlink(timestampDir, newLink) == 0 else {
            let e = errno
            try? AtomicFile.removeTree(timestampPath)
            throw VolumeError("symlink \(newLink): \(String(cString: strerror(e)))")
        }
        guard rename(newLink, dataLink) == 0 else {
            let e = errno
            unlink(newLink)
            try? AtomicFile.removeTree(timestampPath)
            throw VolumeError("rename \(newLink) to \(dataLink): \(String(cString: strerror(e)))")
        }

        for name in newTopLevel where !Self.exists("\(targetDir)/\(name)") {
            guard symlink("\(Self.dataDirName)/\(name)", "\(targetDir)/\(name)") == 0 else {
                throw VolumeError("symlink \(targetDir)/\(name): \(String(cString: strerror(errno)))")
            }
        }
        for name in oldTopLevel.subtracting(newTopLevel) {
            // Only the symlinks this writer made; never what they point at.
            unlink("\(targetDir)/\(name)")
        }
        if let old = oldTimestampDir, old != timestampDir {
            try? AtomicFile.removeTree("\(targetDir)/\(old)")
        }
        return true
    }

    /// Upstream's rules for a payload path: relative, no `..` element, not starting with `..`, at most 4096 bytes.
    static func validate(_ path: String) throws(VolumeError) -> String {
        if path.isEmpty { throw VolumeError("invalid path: must not be empty") }
        if path.utf8.count > 4096 { throw VolumeError("invalid path: must be less than or equal to 4096 characters") }
        if path.hasPrefix("/") { throw VolumeError("invalid path: must be relative path: \(path)") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
        if parts.contains("..") { throw VolumeError("invalid path: must not contain '..': \(path)") }
        if path.hasPrefix("..") { throw VolumeError("invalid path: must not start with '..': \(path)") }
        if parts.isEmpty { throw VolumeError("invalid path: \(path)") }
        return parts.joined(separator: "/")
    }

    static func topLevel(_ path: String) -> String {
        String(path.split(separator: "/", maxSplits: 1).first ?? Substring(path))
    }

    /// A fresh `..YYYY_MM_DD_HH_MM_SS.<random>` directory, as upstream names them.
    private func makeTimestampDir() throws(VolumeError) -> String {
        var t = time_t(Date().timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&t, &parts)
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let stamp = "..\(parts.tm_year + 1900)_\(two(parts.tm_mon + 1))_\(two(parts.tm_mday))_\(two(parts.tm_hour))_\(two(parts.tm_min))_\(two(parts.tm_sec))."
        var template = Array("\(targetDir)/\(stamp)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw VolumeError("mkdtemp in \(targetDir): \(String(cString: strerror(errno)))") }
        let path = template.withUnsafeBufferPointer { buffer in
            String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        chmod(path, 0o755)
        return AtomicFile.baseName(of: path)
    }

    private static func writeFile(_ path: String, _ file: FileProjection) throws(VolumeError) {
        do { try AtomicFile.makeDirectories(AtomicFile.directoryName(of: path), mode: 0o755) } catch {
            throw VolumeError("\(error)")
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw VolumeError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let e = AtomicFile.writeAll(fd: fd, bytes: file.data) {
            throw VolumeError("write \(path): \(String(cString: strerror(e)))")
        }
        // The mode exactly as asked (the umask does not apply), as upstream's chmod after writing.
        guard fchmod(fd, file.mode & 0o7777) == 0 else {
            throw VolumeError("chmod \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func readLink(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 4097)
        let n = readlink(path, &buffer, 4096)
        guard n > 0 else { return nil }
        return String(decoding: buffer.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    /// Relative paths of the regular files under `dir` (not following symlinks).
    static func files(under dir: String, prefix: String = "") -> Set<String> {
        var out: Set<String> = []
        for name in AtomicFile.listDirectory(dir) ?? [] {
            var st = stat()
            guard lstat("\(dir)/\(name)", &st) == 0 else { continue }
            let relative = prefix.isEmpty ? name : "\(prefix)/\(name)"
            switch st.st_mode & S_IFMT {
            case S_IFDIR: out.formUnion(files(under: "\(dir)/\(name)", prefix: relative))
            case S_IFREG: out.insert(relative)
            default: break
            }
        }
        return out
    }

    private static func matches(_ path: String, _ file: FileProjection) -> Bool {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_mode & 0o7777 == file.mode & 0o7777,
              st.st_size == off_t(file.data.count) else { return false }
        guard let bytes = try? AtomicFile.read(path) else { return false }
        return bytes == file.data
    }
}

/// Why a volume could not be set up; the text follows `MountVolume.SetUp failed for volume "x" : ` in events.
struct VolumeError: Error, CustomStringConvertible, Sendable, Equatable {
    let description: String
    init(_ message: String) { description = message }
}
