import AtomicFile
#if canImport(Glibc)
import Glibc
#endif

/// The embedded store's on-disk form: a snapshot file plus an append-only log of records written after it.
/// Each record is `[u32 length][u32 crc32][payload]`, so a torn write at the tail (power cut mid-append) is
/// detected and cut off on the next start instead of being replayed as garbage.
struct WALRecord: Equatable {
    enum Op: UInt8 { case put = 1, delete = 2, snapshotHeader = 3 }
    var op: Op
    var revision: Int64
    var createRevision: Int64
    var key: String
    var value: [UInt8]

    func encoded() -> [UInt8] {
        var payload: [UInt8] = []
        payload.reserveCapacity(key.utf8.count + value.count + 32)
        payload.append(op.rawValue)
        appendInt64(revision, to: &payload)
        appendInt64(createRevision, to: &payload)
        appendUInt32(UInt32(key.utf8.count), to: &payload)
        payload.append(contentsOf: key.utf8)
        appendUInt32(UInt32(value.count), to: &payload)
        payload.append(contentsOf: value)
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 8)
        appendUInt32(UInt32(payload.count), to: &out)
        appendUInt32(CRC32.checksum(payload), to: &out)
        out.append(contentsOf: payload)
        return out
    }

    /// Decodes records until the end or the first damaged one; returns them and the length of the good prefix.
    static func decodeAll(_ bytes: [UInt8]) -> (records: [WALRecord], validLength: Int) {
        var records: [WALRecord] = []
        var offset = 0
        while offset + 8 <= bytes.count {
            let length = Int(readUInt32(bytes, offset))
            let crc = readUInt32(bytes, offset + 4)
            let start = offset + 8
            guard length >= 21, start + length <= bytes.count else { break }
            let payload = bytes[start..<(start + length)]
            guard CRC32.checksum(payload) == crc, let record = decodePayload(Array(payload)) else { break }
            records.append(record)
            offset = start + length
        }
        return (records, offset)
    }

    private static func decodePayload(_ p: [UInt8]) -> WALRecord? {
        guard let op = Op(rawValue: p[0]) else { return nil }
        let revision = readInt64(p, 1)
        let createRevision = readInt64(p, 9)
        let keyLength = Int(readUInt32(p, 17))
        guard 21 + keyLength + 4 <= p.count else { return nil }
        let key = String(decoding: p[21..<(21 + keyLength)], as: UTF8.self)
        let valueOffset = 21 + keyLength
        let valueLength = Int(readUInt32(p, valueOffset))
        guard valueOffset + 4 + valueLength == p.count else { return nil }
        return WALRecord(op: op, revision: revision, createRevision: createRevision, key: key,
                         value: Array(p[(valueOffset + 4)...]))
    }
}

private func appendUInt32(_ v: UInt32, to out: inout [UInt8]) {
    for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
}
private func appendInt64(_ v: Int64, to out: inout [UInt8]) {
    let u = UInt64(bitPattern: v)
    for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: u >> UInt64(shift))) }
}
private func readUInt32(_ b: some RandomAccessCollection<UInt8>, _ offset: Int) -> UInt32 {
    var v: UInt32 = 0
    for i in 0..<4 { v |= UInt32(b[b.index(b.startIndex, offsetBy: offset + i)]) << UInt32(8 * i) }
    return v
}
private func readInt64(_ b: [UInt8], _ offset: Int) -> Int64 {
    var v: UInt64 = 0
    for i in 0..<8 { v |= UInt64(b[offset + i]) << UInt64(8 * i) }
    return Int64(bitPattern: v)
}

enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes { crc = table[Int((crc ^ UInt32(b)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// The files under --data-dir: `snapshot`, and log segments `wal-<first revision>` appended in order. Only one
/// process may own them: a second kube-apiserver on the same directory (e.g. the old one not yet gone when the
/// kubelet starts the new one) is refused instead of corrupting the log.
///
/// A snapshot never stops writers: the store starts a new segment at the snapshot's revision, keeps appending
/// there, writes the snapshot in the background and only then deletes the older segments. A crash at any point
/// leaves a snapshot plus segments whose records beyond the snapshot's revision replay onto it.
final class WALFiles: @unchecked Sendable {
    // The segment fields are touched only on `EmbeddedStore`'s IO queue after init; snapshot writing only
    // touches the snapshot file and segments older than the current one, by name.
    let directory: String
    var logFD: Int32
    var logSize: Int
    var logPath: String
    private let lockFD: Int32

    var snapshotPath: String { directory + "/snapshot" }

    static func segmentName(_ firstRevision: Int64) -> String {
        let digits = String(firstRevision)
        return "wal-" + String(repeating: "0", count: max(0, 16 - digits.count)) + digits
    }

    init(directory: String) throws {
        self.directory = directory
        do { try AtomicFile.makeDirectories(directory, mode: 0o700) } catch { throw StorageError.unavailable("\(error)") }
        let lockPath = directory + "/lock"
        lockFD = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lockFD >= 0 else { throw StorageError.unavailable("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        if flock(lockFD, LOCK_EX | LOCK_NB) != 0 {
            close(lockFD)
            throw StorageError.unavailable("data directory \(directory) is in use by another process (lock \(lockPath) is held)")
        }
        let existing = Self.segments(in: directory)
        logPath = directory + "/" + (existing.last ?? Self.segmentName(1))
        logFD = open(logPath, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard logFD >= 0 else { throw StorageError.unavailable("cannot open \(logPath): \(String(cString: strerror(errno)))") }
        var st = stat()
        fstat(logFD, &st)
        logSize = Int(st.st_size)
    }

    deinit {
        close(logFD)
        close(lockFD)
    }

    func releaseLock() { flock(lockFD, LOCK_UN) }

    static func segments(in directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix("wal-") { names.append(name) }
        }
        return names.sorted()
    }

    func readSnapshot() throws -> [UInt8] {
        do { return try AtomicFile.read(snapshotPath) ?? [] } catch { throw StorageError.unavailable("\(error)") }
    }

    /// Every segment's bytes, oldest first; the last one is the current segment.
    func readSegments() throws -> [[UInt8]] {
        do { return try Self.segments(in: directory).map { try AtomicFile.read(directory + "/" + $0) ?? [] } } catch {
            throw StorageError.unavailable("\(error)")
        }
    }

    /// Cuts a damaged tail of the current segment so new records are not appended after garbage.
    func truncateLog(to length: Int) throws {
        guard ftruncate(logFD, off_t(length)) == 0, fsync(logFD) == 0 else {
            throw StorageError.unavailable("cannot truncate \(logPath): \(String(cString: strerror(errno)))")
        }
        logSize = length
    }

    /// Appends and makes durable before returning: the caller acknowledges writes only after this.
    func appendDurably(_ bytes: [UInt8]) throws {
        if AtomicFile.writeAll(fd: logFD, bytes: bytes) != nil || fdatasync(logFD) != 0 {
            throw StorageError.unavailable("cannot write \(logPath): \(String(cString: strerror(errno)))")
        }
        logSize += bytes.count
    }

    /// Starts a new segment for records after `revision` (the snapshot's). Runs on the IO queue.
    func rotate(after revision: Int64) throws {
        let path = directory + "/" + Self.segmentName(revision + 1)
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageError.unavailable("cannot open \(path): \(String(cString: strerror(errno)))") }
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
        close(logFD)
        logFD = fd
        logPath = path
        logSize = 0
    }

    /// Writes the snapshot durably, then removes the segments older than `keep` (all covered by the snapshot).
    func writeSnapshot(_ bytes: [UInt8], keep: String) throws {
        do { try AtomicFile.write(bytes, to: snapshotPath, mode: 0o600) } catch { throw StorageError.unavailable("\(error)") }
        for name in Self.segments(in: directory) where name < keep { unlink(directory + "/" + name) }
    }
}
