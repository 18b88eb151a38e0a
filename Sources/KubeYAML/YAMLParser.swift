import CLibYAML

/// A YAML syntax problem with where libyaml found it.
public struct YAMLSyntaxError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var mark: YAMLMark?
    public var description: String { message }
}

/// Parses YAML text into node trees with libyaml's event parser: anchors and aliases are expanded, `<<` merge keys
/// applied (as go-yaml does for sigs.k8s.io/yaml), and mapping keys must be scalars (JSON objects have string keys).
public enum YAMLParser {
    /// Upper bound on nodes per document after alias expansion, so a "billion laughs" document is refused instead
    /// of exhausting memory.
    public static let maxNodesPerDocument = 1 << 20

    /// Every document of the stream, in order; an empty stream has none, an empty document is a null scalar.
    public static func documents(_ text: String) throws(YAMLSyntaxError) -> [YAMLNode] {
        var bytes = Array(text.utf8)
        if bytes.isEmpty { return [] }
        var composer = Composer()
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else { throw YAMLSyntaxError(message: "invalid YAML: out of memory") }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeMutableBufferPointer { buffer throws(YAMLSyntaxError) -> [YAMLNode] in
            guard let base = buffer.baseAddress else { return [] }
            yaml_parser_set_input_string(&parser, base, buffer.count)
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) != 0 else { throw syntaxError(parser) }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { return composer.documents }
                try composer.consume(event)
            }
        }
    }

    /// The only document of `text`, nil for an empty stream; more than one document is an error.
    public static func document(_ text: String) throws(YAMLSyntaxError) -> YAMLNode? {
        let all = try documents(text)
        if all.count > 1 {
            throw YAMLSyntaxError(message: "invalid YAML: expected a single document, found \(all.count)", mark: all[1].mark)
        }
        return all.first
    }

    private static func syntaxError(_ parser: yaml_parser_t) -> YAMLSyntaxError {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed input"
        let context = parser.context.map { String(cString: $0) }
        let what = [context, problem].compactMap { $0 }.joined(separator: ": ")
        return YAMLSyntaxError(message: "invalid YAML: \(what)",
                               mark: YAMLMark(line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1))
    }
}

/// Builds trees from libyaml's events with a stack of open collections.
private struct Composer {
    private enum Open {
        case mapping(YAMLMapping, key: (String, YAMLMark)?, merges: [YAMLMapping], anchor: String?, size: Int)
        case sequence(YAMLSequence, anchor: String?, size: Int)
    }

    /// The same bound as the JSON parser's.
    static let maxDepth = 512

    var documents: [YAMLNode] = []
    private var stack: [Open] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var documentSize = 0

    mutating func consume(_ event: yaml_event_t) throws(YAMLSyntaxError) {
        let mark = YAMLMark(line: event.start_mark.line + 1, column: event.start_mark.column + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors = [:]
            documentSize = 0
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let text = s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: s.length), as: UTF8.self) } ?? ""
            let style: YAMLScalarStyle
            switch s.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let node = YAMLNode.scalar(YAMLScalar(string: text, style: style, tag: Self.string(s.tag), mark: mark))
            try add(node, size: 1, anchor: Self.string(s.anchor))
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw YAMLSyntaxError(message: "invalid YAML: unknown anchor '\(name)' referenced", mark: mark)
            }
            try add(target.node, size: target.size, anchor: nil)
        case YAML_MAPPING_START_EVENT:
            try checkDepth(mark)
            stack.append(.mapping(YAMLMapping(entries: [], mark: mark), key: nil, merges: [],
                                  anchor: Self.string(event.data.mapping_start.anchor), size: 1))
        case YAML_SEQUENCE_START_EVENT:
            try checkDepth(mark)
            stack.append(.sequence(YAMLSequence(items: [], mark: mark), anchor: Self.string(event.data.sequence_start.anchor), size: 1))
        case YAML_MAPPING_END_EVENT:
            guard case .mapping(var mapping, _, let merges, let anchor, let size)? = stack.popLast() else { return }
            // Keys written in the mapping win over merged ones; among merged mappings, the first listed wins.
            var present = Set(mapping.entries.map(\.key))
            for merged in merges {
                for entry in merged.entries where !present.contains(entry.key) {
                    mapping.entries.append(entry)
                    present.insert(entry.key)
                }
            }
            try add(.mapping(mapping), size: size, anchor: anchor, counted: true)
        case YAML_SEQUENCE_END_EVENT:
            guard case .sequence(let sequence, let anchor, let size)? = stack.popLast() else { return }
            try add(.sequence(sequence), size: size, anchor: anchor, counted: true)
        default:
            break
        }
    }

    /// Deeper trees would exhaust the stack of everything that walks them recursively afterwards.
    private func checkDepth(_ mark: YAMLMark) throws(YAMLSyntaxError) {
        if stack.count >= Composer.maxDepth {
            throw YAMLSyntaxError(message: "invalid YAML: exceeded max depth of \(Composer.maxDepth) nested collections", mark: mark)
        }
    }

    /// Attaches a finished node to the open collection (or makes it the document). `counted` nodes were already
    /// added to the document's size as their children arrived.
    private mutating func add(_ node: YAMLNode, size: Int, anchor: String?, counted: Bool = false) throws(YAMLSyntaxError) {
        if !counted {
            documentSize += size
            if documentSize > YAMLParser.maxNodesPerDocument {
                throw YAMLSyntaxError(message: "invalid YAML: the document expands to more than \(YAMLParser.maxNodesPerDocument) nodes (aliases)",
                                      mark: node.mark)
            }
        }
        if let anchor { anchors[anchor] = (node, size) }
        guard let top = stack.popLast() else {
            documents.append(node)
            return
        }
        switch top {
        case .sequence(var sequence, let seqAnchor, let seqSize):
            sequence.items.append(node)
            stack.append(.sequence(sequence, anchor: seqAnchor, size: seqSize + size))
        case .mapping(var mapping, let key, var merges, let mapAnchor, let mapSize):
            guard let key else {
                guard case .scalar(let keyScalar) = node else {
                    throw YAMLSyntaxError(message: "invalid YAML: a mapping key must be a string, not \(node.describedForMessage)",
                                          mark: node.mark)
                }
                stack.append(.mapping(mapping, key: (keyScalar.string, keyScalar.mark), merges: merges, anchor: mapAnchor, size: mapSize))
                return
            }
            if key.0 == "<<" {
                switch node {
                case .mapping(let merged):
                    merges.append(merged)
                case .sequence(let list) where list.items.allSatisfy({ $0.mapping != nil }):
                    merges += list.items.compactMap(\.mapping)
                default:
                    throw YAMLSyntaxError(message: "invalid YAML: a merge key (<<) needs a mapping or a list of mappings", mark: node.mark)
                }
            } else {
                mapping.entries.append(YAMLMapping.Entry(key: key.0, keyMark: key.1, value: node))
            }
            stack.append(.mapping(mapping, key: nil, merges: merges, anchor: mapAnchor, size: mapSize + size))
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: pointer)
    }
}
