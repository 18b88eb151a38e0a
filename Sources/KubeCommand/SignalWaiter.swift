import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Turns process signals into an async stream (signals are ignored for default handling first).
public enum SignalWaiter {
    public static func wait(for signals: [Int32]) -> AsyncStream<Int32> {
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in signals {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            sources.append(source)
        }
        let keep = UnsafeSendableBox(sources)
        continuation.onTermination = { _ in _ = keep }
        return stream
    }
}

/// Keeps the non-Sendable dispatch sources alive for as long as the stream exists.
private final class UnsafeSendableBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
