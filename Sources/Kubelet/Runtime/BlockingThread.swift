import CKubeletShims
import Glibc

/// A detached OS thread for loops that block in poll(2) or waitpid(2), which must stay off Swift's cooperative pool.
/// Foundation's Thread would do, but linking Foundation (and the ICU data it loads) costs the kubelet ~8 MiB of
/// resident memory; a small stack keeps the per-container threads cheap.
enum BlockingThread {
    private final class Body {
        let name: String
        let run: () -> Void
        init(name: String, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    static let stackSize = 256 * 1024

    /// Starts `body` on a new detached thread named `name`.
    static func start(name: String, _ body: @escaping @Sendable () -> Void) {
        let context = Unmanaged.passRetained(Body(name: name, body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, stackSize)
        var thread = pthread_t()
        let started = pthread_create(&thread, &attributes, { raw in
            guard let raw else { return nil }
            let body = Unmanaged<Body>.fromOpaque(raw).takeRetainedValue()
            ks_set_thread_name(body.name)
            body.run()
            return nil
        }, context)
        guard started == 0 else {
            // Out of threads (EAGAIN): running inline blocks the caller, but no container output or exit is lost.
            Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
            return
        }
    }
}
