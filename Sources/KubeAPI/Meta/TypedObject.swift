import KubeJSON

/// An object as a controller works on it: the JSON as stored (and as informers, caches and writes carry it, so
/// fields Kubestrap does not model survive), with the typed view the controller reads. A change to the view is
/// written back as a merge patch from the view as decoded to the view as changed, applied to the stored JSON: only
/// the fields the controller changed are touched.
public struct Typed<Object: Codable & Sendable>: Sendable {
    public let json: JSONValue
    public let object: Object

    /// Fails (naming the field, see `JSONValueDecodingError`) when the object does not decode as `Object`.
    public init(_ json: JSONValue) throws {
        self.json = json
        object = try JSONValueDecoder.storedObjects.decode(Object.self, from: json)
    }

    /// A view decoded from another form of the object (a ReplicationController read as the ReplicaSet it is
    /// converted to, as upstream's RC controller does); changes are still merged into the stored `json`, so only
    /// fields both forms share (status) may be changed.
    public init(_ json: JSONValue, viewedAs view: JSONValue) throws {
        self.json = json
        object = try JSONValueDecoder.storedObjects.decode(Object.self, from: view)
    }

    /// The stored JSON with the change from `object` to `changed` merged in. When the change reaches the status,
    /// status fields the stored object lacks altogether are written as the view has them, so a status is written
    /// as Go writes it (`replicas: 0` included) while stored values the view did not change stay as they are.
    public func merging(_ changed: Object) throws -> JSONValue {
        let encoder = JSONValueEncoder()
        let after = try encoder.encode(changed)
        guard let patch = JSONValue.mergePatch(from: try encoder.encode(object), to: after) else { return json }
        var merged = json.applyingMergePatch(patch)
        if patch["status"] != nil, let status = after["status"], let stored = merged["status"] {
            merged["status"] = stored.fillingAbsent(from: status)
        }
        return merged
    }

    /// The stored JSON with `change` applied to the typed view.
    public func modified(_ change: (inout Object) throws -> Void) throws -> JSONValue {
        var changed = object
        try change(&changed)
        return try merging(changed)
    }
}

extension JSONValueDecoder {
    /// How controllers read stored objects: as Go decodes them, except that an integer beyond its field's type is
    /// read at the bound (see `clampsIntegers`), so an object stored before the apiserver checked ranges is still
    /// reconciled, as it was with `goInt32` reads.
    public static let storedObjects = JSONValueDecoder(clampsIntegers: true)
}

extension Decodable {
    /// A typed view of (part of) a stored object, read as `JSONValueDecoder.storedObjects` reads it.
    public init(json: JSONValue) throws {
        self = try JSONValueDecoder.storedObjects.decode(Self.self, from: json)
    }
}

extension JSONValue {
    /// This object with the keys of `other` it lacks added, object by object (arrays and values are not merged).
    func fillingAbsent(from other: JSONValue) -> JSONValue {
        guard case .object(var mine) = self, case .object(let theirs) = other else { return self }
        for (key, value) in theirs {
            if let existing = mine[key] {
                mine[key] = existing.fillingAbsent(from: value)
            } else {
                mine[key] = value
            }
        }
        return .object(mine)
    }
}
