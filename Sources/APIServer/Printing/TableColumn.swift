import KubeAPI
import KubeJSON

/// One column of server-side printing (meta/v1 TableColumnDefinition) with the function that fills its cell.
public struct TableColumn: Sendable {
    public var name: String
    public var type: String
    public var format: String
    public var description: String
    /// 0 = always shown, 1 = only with `-o wide`.
    public var priority: Int
    public var cell: @Sendable (JSONValue, Double) -> JSONValue

    public init(_ name: String, type: String = "string", format: String = "", priority: Int = 0, description: String = "",
                cell: @escaping @Sendable (JSONValue, Double) -> JSONValue) {
        self.name = name
        self.type = type
        self.format = format
        self.priority = priority
        self.description = description
        self.cell = cell
    }

    public var definition: JSONValue {
        ["name": .string(name), "type": .string(type), "format": .string(format), "description": .string(description),
         "priority": .int(Int64(priority))]
    }

    public static let name = TableColumn("Name", format: "name",
                                         description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names") { o, _ in
        .string(o.metaName)
    }

    public static let age = TableColumn("Age", description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata") { o, now in
        .string(HumanDuration.since(o.metaCreationTimestamp, now: now))
    }

    public static let nameAge = [name, age]

    static func text(_ name: String, priority: Int = 0, _ path: [String]) -> TableColumn {
        TableColumn(name, priority: priority) { o, _ in .string(FieldSets.string(o[path: path])) }
    }
}

/// Durations as kubectl prints ages: `45s`, `5m3s`, `3h10m`, `12d`, `2y10d` (apimachinery's HumanDuration).
public enum HumanDuration {
    public static func since(_ timestamp: String?, now: Double) -> String {
        guard let timestamp, let t = Timestamp.parse(timestamp) else { return "<unknown>" }
        return format(now - t)
    }

    public static func format(_ interval: Double) -> String {
        // An age from a stored timestamp: any Double, NaN included, must print rather than trap.
        let seconds = Int(saturating: interval.rounded(.down))
        if seconds < -1 { return "<invalid>" }
        if seconds < 0 { return "0s" }
        if seconds < 120 { return "\(seconds)s" }
        let minutes = seconds / 60
        if minutes < 10 { return seconds % 60 == 0 ? "\(minutes)m" : "\(minutes)m\(seconds % 60)s" }
        if minutes < 180 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 8 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h\(minutes % 60)m" }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 { return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(hours % 24)h" }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        let days = hours / 24
        if hours < 24 * 365 * 8 { return days % 365 == 0 ? "\(days / 365)y" : "\(days / 365)y\(days % 365)d" }
        return "\(days / 365)y"
    }
}
