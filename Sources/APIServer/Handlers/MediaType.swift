/// What the client accepts (`Accept`): plain JSON, a Table (`as=Table;g=meta.k8s.io;v=v1`), partial object
/// metadata, or aggregated discovery.
struct MediaType {
    enum Form: Equatable { case object, table, partialMetadata, discoveryV2, discoveryV2Beta1 }
    var form: Form = .object
    var tableVersion = "v1"

    /// upstream's NotAcceptable message, naming the serializers a built-in endpoint has.
    static let acceptedMessage = "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf"

    /// `allowsTable` false for endpoints with no table converter (the access and token reviews): a Table is not
    /// offered there, so a client that accepts nothing else is answered 406 (upstream's AllowsMediaTypeTransform).
    static func negotiate(_ accept: String?, allowsTable: Bool = true) -> MediaType? {
        guard let accept, !accept.isEmpty else { return MediaType() }
        var protobufOnly = true
        var refusedTable = false
        for clause in accept.split(separator: ",") {
            let params = clause.split(separator: ";").map { $0.trimmingCharacters() }
            guard let type = params.first else { continue }
            if type == "application/vnd.kubernetes.protobuf" { continue }
            protobufOnly = false
            var dict: [String: String] = [:]
            for p in params.dropFirst() {
                let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
                if kv.count == 2 { dict[kv[0]] = kv[1] }
            }
            guard type == "application/json" || type == "*/*" || type == "application/*" || type == "application/yaml" else { continue }
            switch (dict["as"], dict["g"], dict["v"]) {
            case ("Table"?, "meta.k8s.io"?, let v?) where v == "v1" || v == "v1beta1":
                guard allowsTable else { refusedTable = true; continue }
                return MediaType(form: .table, tableVersion: v)
            case ("PartialObjectMetadata"?, "meta.k8s.io"?, _), ("PartialObjectMetadataList"?, "meta.k8s.io"?, _):
                return MediaType(form: .partialMetadata)
            case ("APIGroupDiscoveryList"?, "apidiscovery.k8s.io"?, "v2"?):
                return MediaType(form: .discoveryV2)
            case (nil, _, _):
                return MediaType()
            default:
                continue
            }
        }
        return protobufOnly || refusedTable ? nil : MediaType()
    }
}
