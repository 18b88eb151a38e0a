import KubeJSON

extension GenericStore {
    /// Every write, whatever its path (a request, a patch's or an apply's result, a subresource, a controller), holds
    /// only values upstream's typed decoding could: a number beyond its field's int32 or int64, or of the wrong JSON
    /// type, is the 400 upstream answers, so no stored object can later trap a reader.
    func checkDecodable(_ object: JSONValue) throws {
        guard let schema = definition.schema else { return }
        do {
            try FieldPruner.check(object, schema: schema)
        } catch {
            throw StatusError.undecodable(kind: definition.kind, version: definition.version, error)
        }
    }
}
