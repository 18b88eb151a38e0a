/// Encodes `Encodable` types straight into a `JSONValue`. Optionals that are nil are left out (Swift's synthesized
/// Codable skips them), a `JSONValue` field is written as it is, and integers stay integers.
public struct JSONValueEncoder: Sendable {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        try Slot.boxing(value, codingPath: []).resolved()
    }
}

/// Where an encoded value is built: containers fill slots in place, and the tree is turned into a JSONValue once at
/// the end (building JSONValue directly would copy every enclosing object per field).
private final class Slot {
    var value: JSONValue?
    var object: [String: Slot]?
    var array: [Slot]?

    init() {}
    init(_ value: JSONValue) { self.value = value }

    static func boxing<T: Encodable>(_ value: T, codingPath: [any CodingKey]) throws -> Slot {
        if T.self == JSONValue.self, let raw = value as? JSONValue { return Slot(raw) }
        let slot = Slot()
        try value.encode(to: ValueEncoder(slot: slot, codingPath: codingPath))
        return slot
    }

    func resolved() -> JSONValue {
        if let object { return .object(object.mapValues { $0.resolved() }) }
        if let array { return .array(array.map { $0.resolved() }) }
        // A value that encoded nothing is an empty object, as Foundation's encoder writes it.
        return value ?? .emptyObject
    }

    func makeObject() {
        if object == nil {
            object = [:]
            array = nil
            value = nil
        }
    }

    func makeArray() {
        if array == nil {
            array = []
            object = nil
            value = nil
        }
    }
}

private func number<I: BinaryInteger>(_ i: I, _ codingPath: [any CodingKey]) throws -> JSONValue {
    guard let exact = Int64(exactly: i) else {
        throw EncodingError.invalidValue(i, .init(codingPath: codingPath, debugDescription: "\(i) is beyond int64"))
    }
    return .int(exact)
}

private func number(_ d: Double, _ codingPath: [any CodingKey]) throws -> JSONValue {
    // Go's encoder refuses these too ("json: unsupported value: NaN").
    guard d.isFinite else {
        throw EncodingError.invalidValue(d, .init(codingPath: codingPath, debugDescription: "unsupported value: \(d)"))
    }
    return .double(d)
}

private struct ValueEncoder: Encoder, SingleValueEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        slot.makeObject()
        return KeyedEncodingContainer(KeyedValueEncoder<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        slot.makeArray()
        return UnkeyedValueEncoder(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    func set(_ value: JSONValue) { slot.value = value }

    func encodeNil() { set(.null) }
    func encode(_ value: Bool) { set(.bool(value)) }
    func encode(_ value: String) { set(.string(value)) }
    func encode(_ value: Double) throws { set(try number(value, codingPath)) }
    func encode(_ value: Float) throws { set(try number(Double(value), codingPath)) }
    func encode(_ value: Int) throws { set(try number(value, codingPath)) }
    func encode(_ value: Int8) throws { set(try number(value, codingPath)) }
    func encode(_ value: Int16) throws { set(try number(value, codingPath)) }
    func encode(_ value: Int32) throws { set(try number(value, codingPath)) }
    func encode(_ value: Int64) throws { set(try number(value, codingPath)) }
    func encode(_ value: UInt) throws { set(try number(value, codingPath)) }
    func encode(_ value: UInt8) throws { set(try number(value, codingPath)) }
    func encode(_ value: UInt16) throws { set(try number(value, codingPath)) }
    func encode(_ value: UInt32) throws { set(try number(value, codingPath)) }
    func encode(_ value: UInt64) throws { set(try number(value, codingPath)) }
    func encode<T: Encodable>(_ value: T) throws {
        let boxed = try Slot.boxing(value, codingPath: codingPath)
        slot.value = boxed.value
        slot.object = boxed.object
        slot.array = boxed.array
    }
}

private struct KeyedValueEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    let codingPath: [any CodingKey]

    func put(_ key: Key, _ child: Slot) { slot.object?[key.stringValue] = child }
    func put(_ key: Key, _ value: JSONValue) { put(key, Slot(value)) }

    mutating func encodeNil(forKey key: Key) { put(key, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) { put(key, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) { put(key, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: Float, forKey key: Key) throws { put(key, try number(Double(value), codingPath + [key])) }
    mutating func encode(_ value: Int, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { put(key, try number(value, codingPath + [key])) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        put(key, try Slot.boxing(value, codingPath: codingPath + [key]))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = Slot()
        child.makeObject()
        put(key, child)
        return KeyedEncodingContainer(KeyedValueEncoder<NestedKey>(slot: child, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = Slot()
        child.makeArray()
        put(key, child)
        return UnkeyedValueEncoder(slot: child, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder {
        let child = Slot()
        slot.object?["super"] = child
        return ValueEncoder(slot: child, codingPath: codingPath)
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let child = Slot()
        put(key, child)
        return ValueEncoder(slot: child, codingPath: codingPath + [key])
    }
}

private struct UnkeyedValueEncoder: UnkeyedEncodingContainer {
    let slot: Slot
    let codingPath: [any CodingKey]
    var count: Int { slot.array?.count ?? 0 }

    var nextPath: [any CodingKey] { codingPath + [IndexKey(count)] }
    func append(_ child: Slot) { slot.array?.append(child) }
    func append(_ value: JSONValue) { append(Slot(value)) }

    mutating func encodeNil() { append(.null) }
    mutating func encode(_ value: Bool) { append(.bool(value)) }
    mutating func encode(_ value: String) { append(.string(value)) }
    mutating func encode(_ value: Double) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: Float) throws { append(try number(Double(value), nextPath)) }
    mutating func encode(_ value: Int) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: Int8) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: Int16) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: Int32) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: Int64) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: UInt) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: UInt8) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: UInt16) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: UInt32) throws { append(try number(value, nextPath)) }
    mutating func encode(_ value: UInt64) throws { append(try number(value, nextPath)) }
    mutating func encode<T: Encodable>(_ value: T) throws { append(try Slot.boxing(value, codingPath: nextPath)) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = Slot()
        child.makeObject()
        let path = nextPath
        append(child)
        return KeyedEncodingContainer(KeyedValueEncoder<NestedKey>(slot: child, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = Slot()
        child.makeArray()
        let path = nextPath
        append(child)
        return UnkeyedValueEncoder(slot: child, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let child = Slot()
        let path = nextPath
        append(child)
        return ValueEncoder(slot: child, codingPath: path)
    }
}
