import KubeCommand
import Synchronization

/// An output sink for tests: collects what a command writes to standard output and standard error.
public final class CapturedOutput: OutputSink, Sendable {
    private let text = Mutex<(out: String, err: String)>(("", ""))

    public init() {}

    public func out(_ line: String) { text.withLock { $0.out += line } }
    public func err(_ line: String) { text.withLock { $0.err += line } }
    public var stdout: String { text.withLock { $0.out } }
    public var stderr: String { text.withLock { $0.err } }
}
