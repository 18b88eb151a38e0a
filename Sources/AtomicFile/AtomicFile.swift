#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from writing or reading a file, carrying the path and the OS reason so a user can act on it.
public struct FileError: Error, CustomStringConvertible, Equatable, Sendable {
    public let operation: String
    public let path: String
    public let errno: Int32

    public init(operation: String, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno)))"
    }
}

/// Writes files so that a reader (or a crash) never sees a half-written file:
/// the content goes to a temporary file in the same directory, is fsynced, then renamed over the target,
/// and the directory is fsynced so the rename itself survives a power cut.
public enum AtomicFile {
    /// Writes `bytes` to `path` with permission `mode`, atomically. `dropPageCache` evicts the written pages once
    /// they are on disk: an executable installed that way is later faulted in page by page, whereas pages left
    /// from the write sit in large folios that map (and count as resident) far more of the binary than it runs.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644, dropPageCache: Bool = false) throws(FileError) {
        let dir = directoryName(of: path)
        let base = baseName(of: path)
        var template = Array("\(dir)/.\(base).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw FileError(operation: "create temporary file for", path: path, errno: errno) }
        let tmpPath = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        var committed = false
        defer {
            if !committed { unlink(tmpPath) }
        }
        do {
            defer { close(fd) }
            if fchmod(fd, mode) != 0 { throw FileError(operation: "chmod", path: tmpPath, errno: errno) }
            if let error = writeAll(fd: fd, bytes: bytes) {
                throw FileError(operation: "write", path: tmpPath, errno: error)
            }
            if fsync(fd) != 0 { throw FileError(operation: "fsync", path: tmpPath, errno: errno) }
            #if os(Linux)
            if dropPageCache { _ = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) }
            #endif
        }
        if rename(tmpPath, path) != 0 { throw FileError(operation: "rename to", path: path, errno: errno) }
        committed = true
        syncDirectory(dir)
    }

    /// Writes a UTF-8 string atomically.
    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(FileError) {
        try write(Array(text.utf8), to: path, mode: mode)
    }

    /// Creates `path` and any missing parents with `mode` (like `mkdir -p`). An existing directory is fine;
    /// an existing non-directory is an error naming it.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(FileError) {
        if path.isEmpty || path == "/" { return }
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw FileError(operation: "create directory", path: path, errno: ENOTDIR)
        }
        let parent = directoryName(of: path)
        if parent != path { try makeDirectories(parent, mode: mode) }
        if mkdir(path, mode) != 0 && errno != EEXIST {
            throw FileError(operation: "create directory", path: path, errno: errno)
        }
    }

    /// Reads a whole file; `nil` when it does not exist, an error for anything else.
    public static func read(_ path: String) throws(FileError) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw FileError(operation: "open", path: path, errno: errno)
        }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileError(operation: "read", path: path, errno: errno)
            }
            if n == 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Reads a whole file as UTF-8 text; `nil` when it does not exist.
    public static func readText(_ path: String) throws(FileError) -> String? {
        guard let bytes = try read(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True when something (file, directory, link) exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0
    }

    public static func directoryName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Writes every byte to `fd`, retrying short writes and EINTR; returns the errno of a failure, nil on success.
    @discardableResult
    public static func writeAll(fd: Int32, bytes: some Collection<UInt8>) -> Int32? {
        let buffer = Array(bytes)
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(fd, base.advanced(by: offset), raw.count - offset)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            if n == 0 { return EIO }
            offset += n
        }
        return nil
    }

    private static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}
