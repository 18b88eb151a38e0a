import KubeYAML

/// The fields of kubescheduler.config.k8s.io/v1 KubeSchedulerConfiguration, for strict decoding: a key the schema
/// does not have is an error naming the file, line and field path, as upstream's strict decoder rejects it.
indirect enum ConfigShape: Sendable {
    case scalar
    /// Anything (plugin args: each plugin has its own schema, checked by the plugin that reads them).
    case any
    case object([String: ConfigShape])
    case list(ConfigShape)

    static let pluginSet: ConfigShape = .object([
        "enabled": .list(.object(["name": .scalar, "weight": .scalar])),
        "disabled": .list(.object(["name": .scalar, "weight": .scalar])),
    ])

    static let plugins: ConfigShape = .object(Dictionary(uniqueKeysWithValues: [
        "preEnqueue", "queueSort", "preFilter", "filter", "postFilter", "preScore", "score", "reserve", "permit",
        "preBind", "bind", "postBind", "multiPoint",
    ].map { ($0, pluginSet) }))

    static let configuration: ConfigShape = .object([
        "apiVersion": .scalar, "kind": .scalar,
        "parallelism": .scalar,
        "leaderElection": .object([
            "leaderElect": .scalar, "leaseDuration": .scalar, "renewDeadline": .scalar, "retryPeriod": .scalar,
            "resourceLock": .scalar, "resourceName": .scalar, "resourceNamespace": .scalar,
        ]),
        "clientConnection": .object([
            "kubeconfig": .scalar, "acceptContentTypes": .scalar, "contentType": .scalar, "qps": .scalar, "burst": .scalar,
        ]),
        "enableProfiling": .scalar, "enableContentionProfiling": .scalar,
        "percentageOfNodesToScore": .scalar,
        "podInitialBackoffSeconds": .scalar, "podMaxBackoffSeconds": .scalar,
        "delayCacheUntilActive": .scalar,
        "extenders": .list(.any),
        "profiles": .list(.object([
            "schedulerName": .scalar, "percentageOfNodesToScore": .scalar, "plugins": plugins,
            "pluginConfig": .list(.object(["name": .scalar, "args": .any])),
        ])),
    ])

    /// The first key `node` has that the shape does not, with its path and position; or a value of the wrong kind.
    static func check(_ node: YAMLNode, _ shape: ConfigShape, path: String, file: String) throws(YAMLDecodeError) {
        switch (shape, node) {
        case (.any, _):
            return
        case (_, .scalar(let s)) where s.isNull:
            return
        case (.scalar, .scalar):
            return
        case (.object(let fields), .mapping(let mapping)):
            for entry in mapping.entries {
                let child = path.isEmpty ? entry.key : path + "." + entry.key
                guard let inner = fields[entry.key] else {
                    throw YAMLDecodeError(kind: .unknownField, file: file, line: entry.keyMark.line, column: entry.keyMark.column,
                                          field: child, message: "unknown field \"\(child)\"")
                }
                try check(entry.value, inner, path: child, file: file)
            }
        case (.list(let inner), .sequence(let sequence)):
            for (i, item) in sequence.items.enumerated() { try check(item, inner, path: "\(path)[\(i)]", file: file) }
        default:
            let expected: String
            switch shape {
            case .object: expected = "a mapping"
            case .list: expected = "a list"
            default: expected = "a single value"
            }
            throw YAMLDecodeError(kind: .typeMismatch, file: file, line: node.mark.line, column: node.mark.column, field: path,
                                  message: "\(path): expected \(expected), got \(node.describedForMessage)")
        }
    }
}
