import AtomicFile
import Glibc
import Logging
import Synchronization

/// A swift-log handler that writes klog's line format to standard error, one line per event:
/// `I1125 06:11:57.123456   12345 source.swift:42] message key="value"`.
/// Verbosity follows `--v`: `.debug` is V(2)+, `.trace` is V(4)+.
public struct KlogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    /// The level for klog's `--v` value.
    public static func level(forVerbosity v: Int) -> Logger.Level {
        v >= 4 ? .trace : (v >= 2 ? .debug : .info)
    }

    /// Installs the handler process-wide.
    public static func bootstrap(verbosity: Int) {
        let level = self.level(forVerbosity: verbosity)
        LoggingSystem.bootstrap { KlogHandler(label: $0, level: level) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?,
                    source: String, file: String, function: String, line: UInt) {
        let severity: Character
        switch level {
        case .trace, .debug, .info, .notice: severity = "I"
        case .warning: severity = "W"
        case .error: severity = "E"
        case .critical: severity = "F"
        }
        var all = metadata
        if let explicit { all.merge(explicit) { _, new in new } }
        let fields = all.sorted { $0.key < $1.key }.map { " \($0.key)=\"\($0.value)\"" }.joined()
        let fileName = file.split(separator: "/").last.map(String.init) ?? file
        let text = "\(severity)\(KlogClock.timestamp()) \(KlogClock.pad(Int(getpid()), 7, with: " ")) \(fileName):\(line)] \(message)\(fields)\n"
        KlogOutput.write(text)
    }
}

enum KlogClock {
    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var seconds = tv.tv_sec
        var tmValue = tm()
        gmtime_r(&seconds, &tmValue)
        return "\(pad(Int(tmValue.tm_mon) + 1, 2))\(pad(Int(tmValue.tm_mday), 2)) \(pad(Int(tmValue.tm_hour), 2)):"
            + "\(pad(Int(tmValue.tm_min), 2)):\(pad(Int(tmValue.tm_sec), 2)).\(pad(Int(tv.tv_usec), 6))"
    }

    /// printf's `%0Nd` / `%Nd` without Foundation's String(format:).
    static func pad(_ value: Int, _ width: Int, with filler: Character = "0") -> String {
        let digits = String(value)
        return String(repeating: filler, count: max(0, width - digits.count)) + digits
    }
}

/// Serialises writes to standard error so lines from concurrent tasks never interleave.
enum KlogOutput {
    static let lock = Mutex<Void>(())
    static func write(_ text: String) {
        lock.withLock { _ in AtomicFile.writeAll(fd: 2, bytes: text.utf8) }
    }
}
