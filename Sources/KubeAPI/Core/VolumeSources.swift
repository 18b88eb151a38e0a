/// The volume sources a node sets up beside hostPath and emptyDir: API data (configMap, secret, downwardAPI and
/// projected, which combines them with a service account token) and claims, with the API's JSON field names.

public struct KeyToPath: Codable, Sendable, Equatable {
    public var key: String
    public var path: String
    public var mode: Int32?

    public init(key: String, path: String, mode: Int32? = nil) {
        self.key = key
        self.path = path
        self.mode = mode
    }
}

public struct ConfigMapVolumeSource: Codable, Sendable, Equatable {
    public var name: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?

    public init(name: String?, items: [KeyToPath]? = nil, defaultMode: Int32? = nil, optional: Bool? = nil) {
        self.name = name
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

public struct SecretVolumeSource: Codable, Sendable, Equatable {
    public var secretName: String?
    public var items: [KeyToPath]?
    public var defaultMode: Int32?
    public var optional: Bool?

    public init(secretName: String?, items: [KeyToPath]? = nil, defaultMode: Int32? = nil, optional: Bool? = nil) {
        self.secretName = secretName
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

public struct DownwardAPIVolumeFile: Codable, Sendable, Equatable {
    public var path: String
    public var fieldRef: ObjectFieldSelector?
    public var resourceFieldRef: ResourceFieldSelector?
    public var mode: Int32?

    public init(path: String, fieldRef: ObjectFieldSelector? = nil, mode: Int32? = nil) {
        self.path = path
        self.fieldRef = fieldRef
        self.mode = mode
    }
}

public struct DownwardAPIVolumeSource: Codable, Sendable, Equatable {
    public var items: [DownwardAPIVolumeFile]?
    public var defaultMode: Int32?

    public init(items: [DownwardAPIVolumeFile]?, defaultMode: Int32? = nil) {
        self.items = items
        self.defaultMode = defaultMode
    }
}

public struct ConfigMapProjection: Codable, Sendable, Equatable {
    public var name: String?
    public var items: [KeyToPath]?
    public var optional: Bool?

    public init(name: String?, items: [KeyToPath]? = nil, optional: Bool? = nil) {
        self.name = name
        self.items = items
        self.optional = optional
    }
}

public struct SecretProjection: Codable, Sendable, Equatable {
    public var name: String?
    public var items: [KeyToPath]?
    public var optional: Bool?

    public init(name: String?, items: [KeyToPath]? = nil, optional: Bool? = nil) {
        self.name = name
        self.items = items
        self.optional = optional
    }
}

public struct DownwardAPIProjection: Codable, Sendable, Equatable {
    public var items: [DownwardAPIVolumeFile]?

    public init(items: [DownwardAPIVolumeFile]?) { self.items = items }
}

public struct ServiceAccountTokenProjection: Codable, Sendable, Equatable {
    public var audience: String?
    public var expirationSeconds: Int64?
    public var path: String

    public init(audience: String? = nil, expirationSeconds: Int64? = nil, path: String) {
        self.audience = audience
        self.expirationSeconds = expirationSeconds
        self.path = path
    }
}

public struct VolumeProjection: Codable, Sendable, Equatable {
    public var secret: SecretProjection?
    public var configMap: ConfigMapProjection?
    public var downwardAPI: DownwardAPIProjection?
    public var serviceAccountToken: ServiceAccountTokenProjection?

    public init(secret: SecretProjection? = nil, configMap: ConfigMapProjection? = nil, downwardAPI: DownwardAPIProjection? = nil,
                serviceAccountToken: ServiceAccountTokenProjection? = nil) {
        self.secret = secret
        self.configMap = configMap
        self.downwardAPI = downwardAPI
        self.serviceAccountToken = serviceAccountToken
    }
}

public struct ProjectedVolumeSource: Codable, Sendable, Equatable {
    public var sources: [VolumeProjection]?
    public var defaultMode: Int32?

    public init(sources: [VolumeProjection]?, defaultMode: Int32? = nil) {
        self.sources = sources
        self.defaultMode = defaultMode
    }
}

public struct PersistentVolumeClaimVolumeSource: Codable, Sendable, Equatable {
    public var claimName: String
    public var readOnly: Bool?

    public init(claimName: String, readOnly: Bool? = nil) {
        self.claimName = claimName
        self.readOnly = readOnly
    }
}

/// A local PersistentVolume's directory on its node.
public struct LocalVolumeSource: Codable, Sendable, Equatable {
    public var path: String
    public var fsType: String?
}
