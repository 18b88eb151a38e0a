import Foundation

extension JSONValue {
    /// Encodes a Codable value (a typed API object) into a JSONValue.
    public init(encoding value: some Encodable) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSONParser.parse(Array(data))
    }

    /// Decodes this value into a Codable type (e.g. to validate with typed code).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(type, from: Data(JSONWriter.write(self)))
    }
}
