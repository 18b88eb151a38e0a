/// core/v1's sources of container environment variables besides a literal value and `fieldRef`
/// (`env[].valueFrom.configMapKeyRef`/`secretKeyRef`/`resourceFieldRef`, `envFrom[]`).

public struct ConfigMapKeySelector: Codable, Sendable, Equatable {
    public var name: String?
    public var key: String
    public var optional: Bool?

    public init(name: String?, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }
}

public struct SecretKeySelector: Codable, Sendable, Equatable {
    public var name: String?
    public var key: String
    public var optional: Bool?

    public init(name: String?, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }
}

/// `limits.cpu`, `requests.memory`, … of a container (this one when `containerName` is empty), in units of `divisor`.
public struct ResourceFieldSelector: Codable, Sendable, Equatable {
    public var containerName: String?
    public var resource: String
    public var divisor: String?

    public init(containerName: String? = nil, resource: String, divisor: String? = nil) {
        self.containerName = containerName
        self.resource = resource
        self.divisor = divisor
    }
}

/// Every key of a ConfigMap or Secret as a variable, each name behind `prefix`.
public struct EnvFromSource: Codable, Sendable, Equatable {
    public var prefix: String?
    public var configMapRef: ConfigMapEnvSource?
    public var secretRef: SecretEnvSource?

    public init(prefix: String? = nil, configMapRef: ConfigMapEnvSource? = nil, secretRef: SecretEnvSource? = nil) {
        self.prefix = prefix
        self.configMapRef = configMapRef
        self.secretRef = secretRef
    }
}

public struct ConfigMapEnvSource: Codable, Sendable, Equatable {
    public var name: String?
    public var optional: Bool?

    public init(name: String?, optional: Bool? = nil) {
        self.name = name
        self.optional = optional
    }
}

public struct SecretEnvSource: Codable, Sendable, Equatable {
    public var name: String?
    public var optional: Bool?

    public init(name: String?, optional: Bool? = nil) {
        self.name = name
        self.optional = optional
    }
}
