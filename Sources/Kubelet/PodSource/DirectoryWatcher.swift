import FoundationEssentials
import Glibc
import CKubeletShims

/// Watches one directory with inotify on a dedicated thread and reports that something changed.
/// It reacts to the events that mean "a file is complete or gone" (close-after-write, moved in/out, deleted);
/// a queue overflow also counts as a change, since the consumer re-lists the directory anyway.
final class DirectoryWatcher: Sendable {
    /// The inotify and stop descriptors, closed once both the watcher and its thread let go of them. The thread may
    /// still be about to poll or read them when the watcher is released; closed then, their numbers could already be
    /// another thread's socket or pipe, whose bytes the thread would read away.
    private final class Descriptors: Sendable {
        let inotify: Int32
        let stop: Int32

        init(inotify: Int32, stop: Int32) {
            self.inotify = inotify
            self.stop = stop
        }

        deinit {
            close(inotify)
            close(stop)
        }
    }
    private let descriptors: Descriptors

    /// Starts watching; nil if the directory cannot be watched (for example, it does not exist yet).
    init?(path: String, onChange: @escaping @Sendable (String?) -> Void) {
        let fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else { return nil }
        let mask = UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ATTRIB)
        guard inotify_add_watch(fd, path, mask) >= 0 else {
            close(fd)
            return nil
        }
        // Without a way to stop the thread there is no watcher: the caller re-lists the directory periodically.
        let stop = eventfd(0, Int32(EFD_CLOEXEC | EFD_NONBLOCK))
        guard stop >= 0 else {
            close(fd)
            return nil
        }
        let descriptors = Descriptors(inotify: fd, stop: stop)
        self.descriptors = descriptors
        BlockingThread.start(name: "inotify") {
            // The descriptors stay open until this thread is done with them.
            defer { withExtendedLifetime(descriptors) {} }
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0), pollfd(fd: stop, events: Int16(POLLIN), revents: 0)]
            while true {
                let n = poll(&fds, 2, -1)
                if n < 0 { if errno == EINTR { continue }; return }
                if fds[1].revents != 0 { return }
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard count > 0 else { continue }
                var offset = 0
                var gone = false
                while offset + MemoryLayout<inotify_event>.size <= count {
                    let (mask, length, name) = buffer.withUnsafeBytes { raw -> (UInt32, Int, String?) in
                        guard let start = raw.baseAddress else { return (0, count, nil) }
                        let base = start.advanced(by: offset)
                        let mask = base.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                        let len = Int(base.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                        // A name running past what read() returned would be a kernel bug; stop at the end instead.
                        guard offset + 16 + len <= count else { return (0, count, nil) }
                        var name: String? = nil
                        if len > 0 {
                            let bytes = UnsafeRawBufferPointer(start: base.advanced(by: 16), count: len)
                            name = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                        }
                        return (mask, len, name)
                    }
                    offset += 16 + length
                    if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED) != 0 { gone = true }
                    onChange(name)
                }
                if gone { onChange(nil); return }
            }
        }
    }

    func stop() {
        var one: UInt64 = 1
        _ = write(descriptors.stop, &one, 8)
    }

    deinit {
        stop()
    }
}
