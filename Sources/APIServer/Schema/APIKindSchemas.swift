/// Kinds answered rather than stored (TokenReview, SelfSubjectReview), the bodies of subresources (Binding, Eviction,
/// TokenRequest) and CustomResourceDefinition: each in `/openapi` with its group-version-kind, as upstream publishes
/// them, so `kubectl explain` finds every kind `kubectl api-resources` lists.
extension Schemas {
    static let userInfo = obj(["username": s, "uid": s, "groups": .list(.str, listType: "atomic"), "extra": .map(strings)],
                              go: "UserInfo")

    static let customResourceDefinitionVersion = obj([
        "name": s, "served": b, "storage": b, "deprecated": b, "deprecationWarning": s,
        // The schema is checked by the CustomResourceDefinition strategy, structurally; here it is kept as written.
        "schema": obj(["openAPIV3Schema": .preserveUnknown], go: "CustomResourceValidation"),
        "subresources": obj([
            "status": obj([:], go: "CustomResourceSubresourceStatus"),
            "scale": obj(["specReplicasPath": s, "statusReplicasPath": s, "labelSelectorPath": s],
                         required: ["specReplicasPath", "statusReplicasPath"], go: "CustomResourceSubresourceScale"),
        ], go: "CustomResourceSubresources"),
        "additionalPrinterColumns": .list(obj(["name": s, "type": s, "format": s, "description": s, "priority": i32, "jsonPath": s],
                                              required: ["name", "type", "jsonPath"], go: "CustomResourceColumnDefinition"),
                                          listType: "atomic"),
        "selectableFields": .list(obj(["jsonPath": s], required: ["jsonPath"], go: "SelectableField"), listType: "atomic"),
    ], required: ["name", "served", "storage"], go: "CustomResourceDefinitionVersion")

    static let customResourceDefinitionNames = obj([
        "plural": s, "singular": s, "shortNames": .list(.str, listType: "atomic"), "kind": s, "listKind": s,
        "categories": .list(.str, listType: "atomic"),
    ], required: ["plural", "kind"], go: "CustomResourceDefinitionNames")

    static let apiKindDefinitions: [String: Schema] = [
        "io.k8s.api.core.v1.Binding": kindSchema(["target": objectReference], required: ["target"]),
        "io.k8s.api.policy.v1.Eviction": kindSchema(["deleteOptions": .preserveUnknown]),
        "io.k8s.api.authentication.v1.TokenRequest": kindSchema([
            "spec": obj([
                "audiences": .list(.str, listType: "atomic"), "expirationSeconds": i64,
                "boundObjectRef": obj(["kind": s, "apiVersion": s, "name": s, "uid": s], go: "BoundObjectReference"),
            ], required: ["audiences"], go: "TokenRequestSpec"),
            "status": obj(["token": s, "expirationTimestamp": .time], required: ["token", "expirationTimestamp"], go: "TokenRequestStatus"),
        ], required: ["spec"]),
        "io.k8s.api.authentication.v1.TokenReview": kindSchema([
            "spec": obj(["token": s, "audiences": .list(.str, listType: "atomic")], go: "TokenReviewSpec"),
            "status": obj(["authenticated": b, "user": userInfo, "audiences": .list(.str, listType: "atomic"), "error": s],
                          go: "TokenReviewStatus"),
        ], required: ["spec"]),
        "io.k8s.api.authentication.v1.SelfSubjectReview": kindSchema([
            "status": obj(["userInfo": userInfo], go: "SelfSubjectReviewStatus"),
        ]),
        "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition": kindSchema([
            "spec": obj([
                "group": s, "names": customResourceDefinitionNames, "scope": s,
                "versions": .list(customResourceDefinitionVersion, listType: "atomic"),
                "conversion": obj([
                    "strategy": s,
                    "webhook": obj([
                        "clientConfig": obj([
                            "url": s, "caBundle": .string(format: "byte"),
                            "service": obj(["namespace": s, "name": s, "path": s, "port": i32], required: ["namespace", "name"],
                                           go: "ServiceReference"),
                        ], go: "WebhookClientConfig"),
                        "conversionReviewVersions": .list(.str, listType: "atomic"),
                    ], required: ["conversionReviewVersions"], go: "WebhookConversion"),
                ], required: ["strategy"], go: "CustomResourceConversion"),
                "preserveUnknownFields": b,
            ], required: ["group", "names", "scope", "versions"], go: "CustomResourceDefinitionSpec"),
            "status": obj([
                "conditions": .list(obj(["type": s, "status": s, "lastTransitionTime": .time, "reason": s, "message": s],
                                        required: ["type", "status"], go: "CustomResourceDefinitionCondition"),
                                    mergeKey: "type"),
                "acceptedNames": customResourceDefinitionNames,
                "storedVersions": .list(.str, listType: "atomic"),
            ], go: "CustomResourceDefinitionStatus"),
        ], required: ["spec"]),
    ]
}
