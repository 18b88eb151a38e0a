/// What the client accepts (`Accept`): plain JSON, a Table (`as=Table;g=meta.k8s.io;v=v1`), partial object
/// metadata, or aggregated discovery; each in JSON or, where upstream offers it, in protobuf.
struct MediaType {
    enum Form: Equatable { case object, table, partialMetadata, discoveryV2, discoveryV2Beta1 }
    var form: Form = .object
    var tableVersion = "v1"
    /// `application/vnd.kubernetes.protobuf` was the first acceptable choice.
    var protobuf = false

    static let protobufType = "application/vnd.kubernetes.protobuf"

    /// The forms an endpoint can answer in protobuf: a built-in kind and its partial metadata; for a custom
    /// resource only PartialObjectMetadata (upstream's CR handler serializes JSON and YAML; the metadata forms are
    /// meta.k8s.io's own kinds). Tables are JSON only upstream.
    static func protobufForms(builtIn: Bool) -> Set<Form> { builtIn ? [.object, .partialMetadata] : [.partialMetadata] }

    /// The first clause of `accept` this endpoint can answer, in the client's order (client-go sends
    /// `application/vnd.kubernetes.protobuf,application/json`); nil when the client takes only protobuf and this
    /// endpoint has none of it (406).
    /// upstream's NotAcceptable message, naming the serializers a built-in endpoint has.
    static let acceptedMessage = "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"

    /// `allowsTable` false for endpoints with no table converter (the access and token reviews): a Table is not
    /// offered there, so a client that accepts nothing else is answered 406 (upstream's AllowsMediaTypeTransform).
    static func negotiate(_ accept: String?, protobuf: Set<Form> = [], allowsTable: Bool = true) -> MediaType? {
        guard let accept, !accept.isEmpty else { return MediaType() }
        var protobufOnly = true
        var refusedTable = false
        for clause in accept.split(separator: ",") {
            let params = clause.split(separator: ";").map { $0.trimmingCharacters() }
            guard let type = params.first else { continue }
            var dict: [String: String] = [:]
            for p in params.dropFirst() {
                let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { dict[kv[0]] = kv[1] }
            }
            let isProtobuf = type == protobufType
            if !isProtobuf { protobufOnly = false }
            guard isProtobuf || type == "application/json" || type == "*/*" || type == "application/*" || type == "application/yaml" else { continue }
            var media: MediaType
            switch (dict["as"], dict["g"], dict["v"]) {
            case ("Table"?, "meta.k8s.io"?, let v?) where v == "v1" || v == "v1beta1":
                guard allowsTable else { refusedTable = true; continue }
                media = MediaType(form: .table, tableVersion: v)
            case ("PartialObjectMetadata"?, "meta.k8s.io"?, _), ("PartialObjectMetadataList"?, "meta.k8s.io"?, _):
                media = MediaType(form: .partialMetadata)
            case ("APIGroupDiscoveryList"?, "apidiscovery.k8s.io"?, "v2"?):
                media = MediaType(form: .discoveryV2)
            case (nil, _, _):
                media = MediaType()
            default:
                continue
            }
            if isProtobuf {
                guard protobuf.contains(media.form) else { continue }
                media.protobuf = true
            }
            return media
        }
        // Only protobuf, for an endpoint without it, is a 406 (and a Table where none can be made); anything else
        // unmatched is answered in JSON.
        return protobufOnly || refusedTable ? nil : MediaType()
    }
}
