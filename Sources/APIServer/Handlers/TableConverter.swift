import KubeJSON

/// Server-side printing: objects as a meta.k8s.io Table with the kind's columns; each row carries the object's
/// metadata (or the whole object with `includeObject=Object`) so kubectl can add namespace and label columns.
struct TableConverter {
    let definition: ResourceDefinition
    let includeObject: String?
    let version: String

    func table(_ objects: [JSONValue]) -> JSONValue {
        let now = Timestamp.now()
        var table = header()
        table["rows"] = .array(objects.map { row($0, now: now) })
        return table
    }

    /// The Table without its rows.
    func header() -> JSONValue {
        ["kind": "Table", "apiVersion": .string("meta.k8s.io/\(version)"), "metadata": .emptyObject,
         "columnDefinitions": .array(definition.columns.map(\.definition))]
    }

    func row(_ object: JSONValue, now: Double) -> JSONValue {
        var row: JSONValue = ["cells": .array(definition.columns.map { $0.cell(object, now) })]
        switch includeObject {
        case "None": break
        case "Object": row["object"] = object
        default: row["object"] = Self.partialMetadata(object)
        }
        return row
    }

    static func partialMetadata(_ object: JSONValue) -> JSONValue {
        ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": object["metadata"] ?? .emptyObject]
    }
}
