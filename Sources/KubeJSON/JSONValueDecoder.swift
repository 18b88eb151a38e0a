/// Decodes `Decodable` types straight from a `JSONValue` (no bytes in between), as Go's encoding/json fills a struct:
/// unknown fields are ignored, a value of the wrong JSON type or an integer outside the field's type is an error
/// naming the field. A field typed `JSONValue` receives the value as it is (apimachinery's RawExtension), so a typed
/// view can keep parts it does not model verbatim.
public struct JSONValueDecoder: Sendable {
    /// Integers outside the field's type: Go's decoder refuses them (the default). With `clampsIntegers` they are read
    /// at the type's bound instead, for objects stored before the apiserver checked ranges (DEVELOPERS.md: such an
    /// object must stay usable, as `goInt32` reads keep it). Fractions are refused either way.
    public var clampsIntegers: Bool

    public init(clampsIntegers: Bool = false) {
        self.clampsIntegers = clampsIntegers
    }

    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        do {
            return try ValueDecoder(value: value, codingPath: [], clamps: clampsIntegers).unbox(type)
        } catch let error as JSONValueDecodingError {
            throw error
        } catch let error as DecodingError {
            // Thrown by a type's own init(from:) (an enum's unknown raw value, say).
            throw JSONValueDecodingError(error)
        }
    }
}

/// Why a value could not be decoded, with the field's path as kubectl explains it (`spec.template.spec.containers[0].name`).
public struct JSONValueDecodingError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    init(codingPath: [any CodingKey], message: String) {
        self.init(path: Self.path(codingPath), message: message)
    }

    init(_ error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            self.init(codingPath: context.codingPath, message: "expected \(type): \(context.debugDescription)")
        case .keyNotFound(let key, let context):
            self.init(codingPath: context.codingPath + [key], message: "required field is missing")
        case .dataCorrupted(let context):
            self.init(codingPath: context.codingPath, message: context.debugDescription)
        @unknown default:
            self.init(path: "", message: "\(error)")
        }
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    static func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                if !out.isEmpty { out += "." }
                out += key.stringValue
            }
        }
        return out
    }
}

struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { intValue.map(String.init) ?? "" }
    init(_ index: Int) { intValue = index }
    init?(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { return nil }
}

private struct ValueDecoder: Decoder, SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let clamps: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func failure(_ message: String) -> JSONValueDecodingError {
        JSONValueDecodingError(codingPath: codingPath, message: message)
    }

    /// Go's wording: "cannot unmarshal string into Go value of type int32".
    func mismatch(_ goType: String) -> JSONValueDecodingError {
        failure("cannot unmarshal \(value.typeName) into Go value of type \(goType)")
    }

    func unbox<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == JSONValue.self, let raw = value as? T { return raw }
        return try T(from: self)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else { throw mismatch("struct") }
        return KeyedDecodingContainer(KeyedValueDecoder<Key>(object: object, decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch("slice") }
        return UnkeyedValueDecoder(elements: elements, decoder: self)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("bool") }
        return b
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw mismatch("string") }
        return s
    }

    func decode(_ type: Double.Type) throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw mismatch("float64")
        }
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    func integer<I: FixedWidthInteger>(_ type: I.Type, _ goType: String) throws -> I {
        switch value {
        case .int(let i):
            if let exact = I(exactly: i) { return exact }
            if clamps { return I(clamping: i) }
            throw failure("cannot unmarshal number \(i) into Go value of type \(goType)")
        case .double(let d):
            guard d.isFinite, d == d.rounded() else { throw failure("cannot unmarshal number \(d) into Go value of type \(goType)") }
            if let exact = I(exactly: d) { return exact }
            if clamps { return d < 0 ? I.min : I.max }
            throw failure("cannot unmarshal number \(d) into Go value of type \(goType)")
        default:
            throw mismatch(goType)
        }
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type, "int") }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type, "int8") }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type, "int16") }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type, "int32") }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type, "int64") }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type, "uint") }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type, "uint8") }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type, "uint16") }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type, "uint32") }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type, "uint64") }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try unbox(type) }
}

private struct KeyedValueDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: [String: JSONValue]
    let decoder: ValueDecoder

    var codingPath: [any CodingKey] { decoder.codingPath }
    var allKeys: [Key] { object.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { object[key.stringValue] != nil }

    func child(_ key: any CodingKey) throws -> ValueDecoder {
        guard let value = object[key.stringValue] else {
            throw JSONValueDecodingError(codingPath: codingPath + [key], message: "required field is missing")
        }
        return ValueDecoder(value: value, codingPath: codingPath + [key], clamps: decoder.clamps)
    }

    func decodeNil(forKey key: Key) throws -> Bool { (object[key.stringValue] ?? .null) == .null }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).unbox(type) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try child(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try child(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try child(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try child(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try child(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try child(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try child(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try child(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try child(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try child(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: object["super"] ?? .null, codingPath: codingPath, clamps: decoder.clamps)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key], clamps: decoder.clamps)
    }
}

private struct UnkeyedValueDecoder: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let decoder: ValueDecoder
    var currentIndex = 0

    init(elements: [JSONValue], decoder: ValueDecoder) {
        self.elements = elements
        self.decoder = decoder
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    mutating func next() throws -> ValueDecoder {
        let path = codingPath + [IndexKey(currentIndex)]
        guard currentIndex < elements.count else {
            throw JSONValueDecodingError(codingPath: path, message: "unexpected end of array")
        }
        defer { currentIndex += 1 }
        return ValueDecoder(value: elements[currentIndex], codingPath: path, clamps: decoder.clamps)
    }

    mutating func decodeNil() throws -> Bool {
        guard currentIndex < elements.count, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().unbox(type) }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try next().decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next().decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next().decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next().decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next().decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next().decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next().decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next().decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next().decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next().decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next().decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next().decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next().decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next().decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try next() }
}
