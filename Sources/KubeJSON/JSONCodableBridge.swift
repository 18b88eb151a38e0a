import FoundationEssentials

extension JSONValue {
    /// Encodes a Codable value (a typed API object) into a JSONValue.
    public init(encoding value: some Encodable) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONParser.parse(Array(data))
    }
}
