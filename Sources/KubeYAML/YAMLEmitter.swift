import CLibYAML
import FoundationEssentials
import KubeJSON

/// Writes YAML the way Kubernetes tools do (Go's JSON→YAML path): block style, keys sorted, lists not indented
/// under their key, strings quoted only where a plain scalar would read as something else (`'2'`, `'true'`), and
/// no line folding so long values stay on one line.
public enum YAMLEmitter {
    public struct EmitError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func emit(_ value: JSONValue) throws(EmitError) -> String {
        var emitter = yaml_emitter_t()
        guard yaml_emitter_initialize(&emitter) != 0 else { throw EmitError(description: "YAML emitter: out of memory") }
        defer { yaml_emitter_delete(&emitter) }
        let sink = Sink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        yaml_emitter_set_output(&emitter, { data, buffer, size in
            guard let data, let buffer else { return 1 }
            Unmanaged<Sink>.fromOpaque(data).takeUnretainedValue().bytes.append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
            return 1
        }, context)
        yaml_emitter_set_indent(&emitter, 2)
        yaml_emitter_set_width(&emitter, -1)
        yaml_emitter_set_unicode(&emitter, 1)

        var writer = EventWriter(emitter: &emitter)
        try withExtendedLifetime(sink) { () throws(EmitError) in
            try writer.stream { () throws(EmitError) in try writer.node(value) }
        }
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    private final class Sink {
        var bytes: [UInt8] = []
    }

    /// Would a plain scalar with this text read back as something other than the string (null, bool, number)?
    /// go-yaml reads YAML 1.1's yes/no/on/off as booleans too, so those are quoted for other tools' sake.
    static func needsQuotes(_ text: String) -> Bool {
        if YAMLScalar(string: text).jsonValue() != .string(text) { return true }
        switch text.lowercased() {
        case "y", "n", "yes", "no", "on", "off", ".inf", "-.inf", "+.inf", ".nan": return true
        default: break
        }
        return looksLikeYAML11Number(text) || looksLikeTimestamp(text)
    }
}

extension YAMLEmitter {
    /// YAML 1.1 numbers a plain reader may take: 1_000, 0x1f, 0b101, 0o17, 1.5, 1e3, 12:30 (base 60).
    /// An IP address (192.0.2.2) is none of these and stays unquoted, as Go's emitter leaves it.
    static func looksLikeYAML11Number(_ text: String) -> Bool {
        let body = text.hasPrefix("+") || text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        guard let first = body.first, first.isASCII, first.isNumber || first == "." else { return false }
        func all(_ s: Substring, _ allowed: String) -> Bool { !s.isEmpty && s.allSatisfy { allowed.contains($0) } }
        if all(body, "0123456789_") { return true }
        for (prefix, digits) in [("0x", "0123456789abcdefABCDEF_"), ("0b", "01_"), ("0o", "01234567_")]
            where body.hasPrefix(prefix) && all(body.dropFirst(2), digits) { return true }
        if Double(String(body.filter { $0 != "_" })) != nil { return true }
        let sexagesimal = body.split(separator: ":", omittingEmptySubsequences: false)
        return sexagesimal.count > 1 && sexagesimal.allSatisfy { all($0, "0123456789_.") }
    }

    /// YAML 1.1 timestamps start with a date: 2026-11-25, 2026-11-25T10:00:00Z.
    static func looksLikeTimestamp(_ text: String) -> Bool {
        let parts = text.prefix(10).split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4 else { return false }
        return parts.allSatisfy { part in part.prefix(2).allSatisfy { $0.isASCII && $0.isNumber } && !part.isEmpty }
            && parts[2].first?.isNumber == true
    }
}

/// Turns a JSONValue into libyaml emitter events.
private struct EventWriter {
    let emitter: UnsafeMutablePointer<yaml_emitter_t>

    init(emitter: UnsafeMutablePointer<yaml_emitter_t>) { self.emitter = emitter }

    func stream(_ body: () throws(YAMLEmitter.EmitError) -> Void) throws(YAMLEmitter.EmitError) {
        var event = yaml_event_t()
        yaml_stream_start_event_initialize(&event, YAML_UTF8_ENCODING)
        try emit(&event)
        yaml_document_start_event_initialize(&event, nil, nil, nil, 1)
        try emit(&event)
        try body()
        yaml_document_end_event_initialize(&event, 1)
        try emit(&event)
        yaml_stream_end_event_initialize(&event)
        try emit(&event)
    }

    func node(_ value: JSONValue) throws(YAMLEmitter.EmitError) {
        var event = yaml_event_t()
        switch value {
        case .object(let object):
            yaml_mapping_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_MAPPING_STYLE)
            try emit(&event)
            for key in object.keys.sorted() {
                try string(key)
                try node(object[key] ?? .null)
            }
            yaml_mapping_end_event_initialize(&event)
            try emit(&event)
        case .array(let array):
            yaml_sequence_start_event_initialize(&event, nil, nil, 1, YAML_BLOCK_SEQUENCE_STYLE)
            try emit(&event)
            for item in array { try node(item) }
            yaml_sequence_end_event_initialize(&event)
            try emit(&event)
        case .string(let text):
            try string(text)
        case .null:
            try plain("null")
        case .bool(let b):
            try plain(b ? "true" : "false")
        case .int(let i):
            try plain(String(i))
        case .double(let d):
            try plain(JSONValue.double(d).description)
        }
    }

    private func plain(_ text: String) throws(YAMLEmitter.EmitError) {
        try scalar(text, style: YAML_PLAIN_SCALAR_STYLE, plainImplicit: true)
    }

    private func string(_ text: String) throws(YAMLEmitter.EmitError) {
        if YAMLEmitter.needsQuotes(text) {
            try scalar(text, style: YAML_SINGLE_QUOTED_SCALAR_STYLE, plainImplicit: false)
        } else if text.contains("\n") {
            try scalar(text, style: YAML_LITERAL_SCALAR_STYLE, plainImplicit: false)
        } else {
            // libyaml picks plain where the text allows it and quotes otherwise (leading indicators, ": ", " #").
            try scalar(text, style: YAML_ANY_SCALAR_STYLE, plainImplicit: true)
        }
    }

    private func scalar(_ text: String, style: yaml_scalar_style_t, plainImplicit: Bool) throws(YAMLEmitter.EmitError) {
        var event = yaml_event_t()
        var bytes = Array(text.utf8)
        let ok = bytes.withUnsafeMutableBufferPointer { buffer in
            yaml_scalar_event_initialize(&event, nil, nil, buffer.baseAddress ?? UnsafeMutablePointer(mutating: ""), Int32(buffer.count),
                                         plainImplicit ? 1 : 0, 1, style)
        }
        guard ok != 0 else { throw YAMLEmitter.EmitError(description: "YAML emitter: cannot write a scalar") }
        try emit(&event)
    }

    private func emit(_ event: inout yaml_event_t) throws(YAMLEmitter.EmitError) {
        guard yaml_emitter_emit(emitter, &event) != 0 else {
            let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "unknown error"
            throw YAMLEmitter.EmitError(description: "YAML emitter: \(problem)")
        }
    }
}

/// Encodes values the way Kubernetes tools write YAML: keys sorted (as Go's JSON→YAML path does),
/// so files are deterministic and diff cleanly.
public enum KubeYAMLEncoder {
    public static func encode<T: Encodable>(_ value: T) throws -> String {
        try YAMLEmitter.emit(try JSONValue(encoding: value))
    }
}
