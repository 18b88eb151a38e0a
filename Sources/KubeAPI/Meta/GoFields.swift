import KubeJSON

/// A type with Go's zero value: what a non-pointer Go field holds when the JSON leaves it out.
public protocol GoZeroValue: Equatable {
    static var goZero: Self { get }
}

extension GoZeroValue {
    public var isGoZero: Bool { self == Self.goZero }
}

extension Bool: GoZeroValue { public static var goZero: Bool { false } }
extension String: GoZeroValue { public static var goZero: String { "" } }
extension Int32: GoZeroValue { public static var goZero: Int32 { 0 } }
extension Int64: GoZeroValue { public static var goZero: Int64 { 0 } }
extension Array: GoZeroValue where Element: Equatable { public static var goZero: [Element] { [] } }
extension Dictionary: GoZeroValue where Value: Equatable { public static var goZero: [Key: Value] { [:] } }

/// A Go non-pointer field without `omitempty` (`Replicas int32 json:"replicas"`): absent or null reads as the zero
/// value, and the field is always written. Pointer fields are Swift optionals instead.
@propertyWrapper
public struct GoValue<Value: GoZeroValue & Codable & Sendable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value

    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

/// A Go non-pointer field with `omitempty` (`ReadyReplicas int32 json:"readyReplicas,omitempty"`): absent or null
/// reads as the zero value, and the zero value is not written.
@propertyWrapper
public struct OmitEmpty<Value: GoZeroValue & Codable & Sendable>: Codable, Sendable, Equatable {
    public var wrappedValue: Value

    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        wrappedValue = try decoder.singleValueContainer().decode(Value.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}

extension GoValue: Hashable where Value: Hashable {}
extension OmitEmpty: Hashable where Value: Hashable {}

// Synthesized Codable asks the container for the wrapper; these overloads supply the zero for a missing key and
// leave an empty value out.
extension KeyedDecodingContainer {
    public func decode<V>(_ type: GoValue<V>.Type, forKey key: Key) throws -> GoValue<V> {
        GoValue(wrappedValue: try decodeIfPresent(V.self, forKey: key) ?? V.goZero)
    }

    public func decode<V>(_ type: OmitEmpty<V>.Type, forKey key: Key) throws -> OmitEmpty<V> {
        OmitEmpty(wrappedValue: try decodeIfPresent(V.self, forKey: key) ?? V.goZero)
    }
}

extension KeyedEncodingContainer {
    public mutating func encode<V>(_ value: OmitEmpty<V>, forKey key: Key) throws {
        if !value.wrappedValue.isGoZero { try encode(value.wrappedValue, forKey: key) }
    }
}
