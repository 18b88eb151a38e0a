import KubeJSON

extension GenericStore {
    /// Every write, whatever its path (a request, a patch's or an apply's result, a subresource, a controller), holds
    /// only values upstream's typed decoding could: a number beyond its field's int32 or int64, or of the wrong JSON
    /// type, is the 400 upstream answers. An update that leaves such a value where an older binary stored it is let
    /// through, so that a bad object can still lose its finalizers, get a status or be fixed field by field.
    func checkDecodable(_ object: JSONValue, old: JSONValue? = nil) throws {
        guard let schema = definition.schema else { return }
        var copy = object
        var pruner = FieldPruner()
        do {
            try pruner.prune(&copy, schema: schema, tolerating: old)
        } catch {
            throw StatusError.undecodable(kind: definition.kind, version: definition.version, error)
        }
    }
}
