/// A `Decoder` over a parsed YAML node tree that records every field path it is asked about.
struct NodeDecoder: Decoder {
    let node: YAMLNode
    let codingPath: [any CodingKey]
    let tracker: AccessTracker
    let fileName: String?
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var pathString: String { FieldPath.render(codingPath) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        switch node {
        case .mapping(let mapping):
            return KeyedDecodingContainer(KeyedNodeContainer<Key>(decoder: self, mapping: mapping))
        case .scalar(let s) where s.isNull:
            return KeyedDecodingContainer(KeyedNodeContainer<Key>(decoder: self, mapping: YAMLMapping(entries: [], mark: s.mark)))
        default:
            throw mismatch("a mapping (object)")
        }
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        switch node {
        case .sequence(let sequence):
            return UnkeyedNodeContainer(decoder: self, items: sequence.items)
        case .scalar(let s) where s.isNull:
            return UnkeyedNodeContainer(decoder: self, items: [])
        default:
            throw mismatch("a list")
        }
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNodeContainer(decoder: self)
    }

    func child(_ node: YAMLNode, key: any CodingKey) -> NodeDecoder {
        NodeDecoder(node: node, codingPath: codingPath + [key], tracker: tracker, fileName: fileName)
    }

    func mismatch(_ expected: String) -> YAMLDecodeError {
        let got = node.describedForMessage
        let field = pathString
        return YAMLDecodeError(kind: .typeMismatch, file: fileName, line: node.mark.line, column: node.mark.column,
                               field: field,
                               message: "\(field.isEmpty ? "document" : "field \(field)"): expected \(expected), got \(got)")
    }
}

struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: NodeDecoder
    let entries: [String: YAMLNode]
    let order: [String]

    init(decoder: NodeDecoder, mapping: YAMLMapping) {
        self.decoder = decoder
        var entries: [String: YAMLNode] = [:]
        var order: [String] = []
        for entry in mapping.entries {
            if entries[entry.key] == nil { order.append(entry.key) }
            entries[entry.key] = entry.value
        }
        self.entries = entries
        self.order = order
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { order.compactMap { Key(stringValue: $0) } }

    private func mark(_ key: Key) {
        decoder.tracker.seen.insert(FieldPath.child(decoder.pathString, key: key.stringValue))
    }

    func contains(_ key: Key) -> Bool {
        guard entries[key.stringValue] != nil else { return false }
        mark(key)
        return true
    }

    private func node(for key: Key) throws -> YAMLNode {
        mark(key)
        guard let node = entries[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing"))
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        mark(key)
        guard let node = entries[key.stringValue] else { return true }
        if node.isNull { return true }
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let child = decoder.child(try node(for: key), key: key)
        return try SingleNodeContainer(decoder: child).decode(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder.child(try node(for: key), key: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder.child(try node(for: key), key: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        decoder.child(try node(for: key), key: key)
    }
}

struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let decoder: NodeDecoder
    let items: [YAMLNode]
    var currentIndex = 0

    init(decoder: NodeDecoder, items: [YAMLNode]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> NodeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "list ended"))
        }
        let key = AnyKey(intValue: currentIndex)
        let child = decoder.child(items[currentIndex], key: key)
        currentIndex += 1
        return child
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { return true }
        if items[currentIndex].isNull {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try SingleNodeContainer(decoder: try next()).decode(type)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next().unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next() }
}

struct SingleNodeContainer: SingleValueDecodingContainer {
    let decoder: NodeDecoder
    var codingPath: [any CodingKey] { decoder.codingPath }

    private var scalar: YAMLScalar? {
        if case .scalar(let s) = decoder.node { return s }
        return nil
    }

    func decodeNil() -> Bool {
        guard let s = scalar else { return false }
        return s.isNull
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard let s = scalar, s.isResolvable else { throw decoder.mismatch("true or false") }
        switch s.string {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw decoder.mismatch("true or false")
        }
    }

    func decode(_ type: String.Type) throws -> String {
        guard let s = scalar else { throw decoder.mismatch("a string") }
        if s.isNull { throw decoder.mismatch("a string") }
        return s.string
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard let s = scalar, s.isResolvable, let d = Double(s.string) else {
            throw decoder.mismatch("a number")
        }
        return d
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    private func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
        guard let s = scalar, s.isResolvable else { throw decoder.mismatch("an integer") }
        var text = Substring(s.string)
        if text.hasPrefix("+") { text = text.dropFirst() }
        if let value = I(text) { return value }
        if text.hasPrefix("0x"), let value = I(text.dropFirst(2), radix: 16) { return value }
        throw decoder.mismatch("an integer")
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == String.self, let v = try decode(String.self) as? T { return v }
        if type == Bool.self, let v = try decode(Bool.self) as? T { return v }
        if type == Int.self, let v = try decode(Int.self) as? T { return v }
        if type == Int32.self, let v = try decode(Int32.self) as? T { return v }
        if type == Int64.self, let v = try decode(Int64.self) as? T { return v }
        if type == Double.self, let v = try decode(Double.self) as? T { return v }
        return try T(from: decoder)
    }
}
