import Foundation
@testable import Kubelet
import Synchronization
import Testing

/// The atomic writer of API-data volumes: the `..data` symlink swap, per-key symlinks, modes, removed keys, and
/// a reader that never sees a mix of two versions.
@Suite struct AtomicWriterTests {
    func read(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }
    func entries(_ dir: String) -> Set<String> { Set((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []) }

    @Test func writesThroughDataSymlinkAndSwapsOnUpdate() throws {
        let dir = try TempDir()
        let target = "\(dir.path)/vol"
        let writer = AtomicWriter(targetDir: target)
        #expect(try writer.write(["a": .init("one", mode: 0o644), "sub/b": .init("two", mode: 0o400)]))

        #expect(read("\(target)/a") == "one")
        #expect(read("\(target)/sub/b") == "two")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(target)/a") == "..data/a")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(target)/sub") == "..data/sub")
        let first = try FileManager.default.destinationOfSymbolicLink(atPath: "\(target)/..data")
        #expect(first.hasPrefix("..20"))
        var st = stat()
        #expect(stat("\(target)/sub/b", &st) == 0 && st.st_mode & 0o7777 == 0o400)
        #expect(stat(target, &st) == 0 && st.st_mode & 0o002 == 0)   // not world-writable
        #expect(stat("\(target)/\(first)", &st) == 0 && st.st_mode & 0o7777 == 0o755)

        // The same content again: nothing is written.
        #expect(try !writer.write(["a": .init("one", mode: 0o644), "sub/b": .init("two", mode: 0o400)]))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: "\(target)/..data") == first)

        // A new version: `a` changes, `sub/b` goes away with its top-level symlink, `c` appears; one timestamp dir left.
        #expect(try writer.write(["a": .init("three", mode: 0o644), "c": .init("four", mode: 0o644)]))
        #expect(read("\(target)/a") == "three")
        #expect(read("\(target)/c") == "four")
        #expect(!FileManager.default.fileExists(atPath: "\(target)/sub"))
        let second = try FileManager.default.destinationOfSymbolicLink(atPath: "\(target)/..data")
        #expect(second != first)
        #expect(entries(target) == ["..data", second, "a", "c"])

        // A changed mode alone is a change.
        #expect(try writer.write(["a": .init("three", mode: 0o600), "c": .init("four", mode: 0o644)]))
        #expect(stat("\(target)/a", &st) == 0 && st.st_mode & 0o7777 == 0o600)

        // An empty payload leaves an empty volume.
        #expect(try writer.write([:]))
        #expect(entries(target).count == 2)   // ..data and its timestamp dir
    }

    @Test func refusesPathsThatLeaveTheVolume() throws {
        let dir = try TempDir()
        let writer = AtomicWriter(targetDir: "\(dir.path)/vol")
        for bad in ["../escape", "/etc/passwd", "..hidden", "a/../../b", ""] {
            #expect(throws: VolumeError.self) { try writer.write([bad: .init("x", mode: 0o644)]) }
        }
        #expect(!FileManager.default.fileExists(atPath: "\(dir.path)/escape"))
    }

    /// A reader that opens `..data` once and reads both keys always finds them from the same version. Reader and
    /// writer run on threads of their own: a busy loop on one of the two cooperative threads would stall every
    /// other test in the process.
    @Test func readersNeverSeeAMixOfVersions() async throws {
        let dir = try TempDir()
        let target = "\(dir.path)/vol"
        let writer = AtomicWriter(targetDir: target)
        try writer.write(["x": .init("0", mode: 0o644), "y": .init("0", mode: 0o644)])
        let stop = Atomic<Bool>(false)
        let reads = Atomic<Int>(0)
        let mixed = Atomic<Int>(0)
        let readerDone = Atomic<Bool>(false)
        let reader = Thread {
            defer { readerDone.store(true, ordering: .sequentiallyConsistent) }
            while !stop.load(ordering: .sequentiallyConsistent) {
                let fd = open("\(target)/..data", O_RDONLY | O_DIRECTORY)
                guard fd >= 0 else { continue }
                func readAt(_ name: String) -> String? {
                    let f = openat(fd, name, O_RDONLY)
                    guard f >= 0 else { return nil }
                    defer { close(f) }
                    var buffer = [UInt8](repeating: 0, count: 64)
                    let n = Glibc.read(f, &buffer, 64)
                    return n >= 0 ? String(decoding: buffer.prefix(n), as: UTF8.self) : nil
                }
                // A version removed under the reader may fail to read; what is read must be one version.
                let x = readAt("x"), y = readAt("y")
                close(fd)
                if let x, let y {
                    reads.add(1, ordering: .sequentiallyConsistent)
                    if x != y { mixed.add(1, ordering: .sequentiallyConsistent) }
                }
            }
        }
        reader.start()
        let written: Int = await withCheckedContinuation { continuation in
            let writerThread = Thread {
                // Writes go on until the reader has read a few hundred times (or a generous deadline passes).
                var version = 0
                let deadline = Date().addingTimeInterval(60)
                while (version < 300 || reads.load(ordering: .sequentiallyConsistent) < 200) && Date() < deadline {
                    version += 1
                    _ = try? writer.write(["x": .init("\(version)", mode: 0o644), "y": .init("\(version)", mode: 0o644)])
                }
                continuation.resume(returning: version)
            }
            writerThread.start()
        }
        stop.store(true, ordering: .sequentiallyConsistent)
        #expect(await eventually { readerDone.load(ordering: .sequentiallyConsistent) })
        #expect(mixed.load(ordering: .sequentiallyConsistent) == 0)
        #expect(reads.load(ordering: .sequentiallyConsistent) >= 200)
        #expect(read("\(target)/x") == "\(written)")
        #expect(entries(target).count == 4)
    }
}
