import Glibc

extension AtomicFile {
    /// The names in a directory (without `.` and `..`), unsorted; nil when it cannot be opened (missing, not a
    /// directory, no permission) with errno set.
    public static func listDirectory(_ path: String) -> [String]? {
        guard let dir = opendir(path) else { return nil }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Removes `path` and, for a directory, everything under it (like `rm -rf`, without following symlinks).
    /// A missing path is fine; the first failure is thrown.
    public static func removeTree(_ path: String) throws(FileError) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw FileError(operation: "stat", path: path, errno: errno)
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            for name in listDirectory(path) ?? [] { try removeTree(path + "/" + name) }
            if rmdir(path) != 0 && errno != ENOENT { throw FileError(operation: "remove directory", path: path, errno: errno) }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw FileError(operation: "remove", path: path, errno: errno)
        }
    }
}
