/// resource.Quantity as a field of an object (`capacity.storage`, `spec.hard.pods`): the text it was written as.
/// Go's Quantity also reads a JSON number, so a number is read as its text; it is written back as a string, as Go
/// writes quantities.
public struct ResourceQuantity: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    public var text: String

    public init(_ text: String) { self.text = text }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self.text = text
        } else if let whole = try? container.decode(Int64.self) {
            text = String(whole)
        } else {
            let number = try container.decode(Double.self)
            text = number.isFinite && number == number.rounded() && abs(number) < 9.2e18 ? String(Int64(number)) : String(number)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// Its value (`500m` → 0.5); nil when the text is not a quantity.
    public var value: Double? { Quantity.value(text) }
    public var description: String { text }
}
