/// core/v1 Pod and the parts of its spec a node agent acts on, with the API's JSON field names.
/// Fields Kubestrap accepts but does not act on are kept so manifests round-trip.
public struct Pod: Codable, Sendable, Equatable {
    public var apiVersion: String? = "v1"
    public var kind: String? = "Pod"
    public var metadata: ObjectMeta
    public var spec: PodSpec
    public var status: PodStatus?

    public init(metadata: ObjectMeta, spec: PodSpec) {
        self.metadata = metadata
        self.spec = spec
    }
}

public struct PodSpec: Codable, Sendable, Equatable {
    public var volumes: [Volume]?
    public var initContainers: [Container]?
    public var containers: [Container]
    public var restartPolicy: String?
    public var terminationGracePeriodSeconds: Int64?
    public var activeDeadlineSeconds: Int64?
    public var dnsPolicy: String?
    public var nodeSelector: [String: String]?
    public var serviceAccountName: String?
    public var automountServiceAccountToken: Bool?
    public var nodeName: String?
    public var hostNetwork: Bool?
    public var hostPID: Bool?
    public var hostIPC: Bool?
    public var securityContext: PodSecurityContext?
    public var hostname: String?
    public var subdomain: String?
    public var schedulerName: String?
    public var tolerations: [Toleration]?
    public var priorityClassName: String?
    public var priority: Int32?
    public var enableServiceLinks: Bool?
    public var preemptionPolicy: String?
    /// The RuntimeClass whose handler runs the pod (Kubestrap's `host-process` handler runs it as host processes).
    public var runtimeClassName: String?
    public var imagePullSecrets: [PodLocalObjectReference]?
    public var shareProcessNamespace: Bool?
    /// Added to a running pod through `pods/ephemeralcontainers` (`kubectl debug`); never restarted or removed.
    public var ephemeralContainers: [EphemeralContainer]?

    public init(containers: [Container]) {
        self.containers = containers
    }
}

public struct Container: Codable, Sendable, Equatable {
    public var name: String
    public var image: String?
    public var command: [String]?
    public var args: [String]?
    public var workingDir: String?
    public var ports: [ContainerPort]?
    public var env: [EnvVar]?
    public var envFrom: [EnvFromSource]?
    public var resources: ResourceRequirements?
    public var volumeMounts: [VolumeMount]?
    public var livenessProbe: Probe?
    public var readinessProbe: Probe?
    public var startupProbe: Probe?
    public var terminationMessagePath: String?
    public var terminationMessagePolicy: String?
    public var imagePullPolicy: String?
    public var securityContext: SecurityContext?
    public var stdin: Bool?
    public var tty: Bool?

    public init(name: String, image: String? = nil, command: [String]? = nil, args: [String]? = nil) {
        self.name = name
        self.image = image
        self.command = command
        self.args = args
    }
}

/// core/v1 EphemeralContainer: a container's own fields (the apiserver refuses the ones an ephemeral container may not
/// have: ports, probes, resources, lifecycle) and, inline beside them as in the API, the container whose process
/// namespace it joins.
public struct EphemeralContainer: Codable, Sendable, Equatable {
    public var container: Container
    public var targetContainerName: String?

    public init(container: Container, targetContainerName: String? = nil) {
        self.container = container
        self.targetContainerName = targetContainerName
    }

    private enum CodingKeys: String, CodingKey { case targetContainerName }

    public init(from decoder: any Decoder) throws {
        container = try Container(from: decoder)
        targetContainerName = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .targetContainerName)
    }

    public func encode(to encoder: any Encoder) throws {
        try container.encode(to: encoder)
        var keyed = encoder.container(keyedBy: CodingKeys.self)
        try keyed.encodeIfPresent(targetContainerName, forKey: .targetContainerName)
    }
}

public struct ContainerPort: Codable, Sendable, Equatable {
    public var name: String?
    public var hostPort: Int32?
    public var containerPort: Int32
    public var `protocol`: String?
    public var hostIP: String?
}

public struct EnvVar: Codable, Sendable, Equatable {
    public var name: String
    public var value: String?
    public var valueFrom: EnvVarSource?

    public init(name: String, value: String?) {
        self.name = name
        self.value = value
    }
}

/// A static pod can use only `fieldRef` and `resourceFieldRef`: the others read the API.
public struct EnvVarSource: Codable, Sendable, Equatable {
    public var fieldRef: ObjectFieldSelector?
    public var resourceFieldRef: ResourceFieldSelector?
    public var configMapKeyRef: ConfigMapKeySelector?
    public var secretKeyRef: SecretKeySelector?

    public init(fieldRef: ObjectFieldSelector? = nil, resourceFieldRef: ResourceFieldSelector? = nil,
                configMapKeyRef: ConfigMapKeySelector? = nil, secretKeyRef: SecretKeySelector? = nil) {
        self.fieldRef = fieldRef
        self.resourceFieldRef = resourceFieldRef
        self.configMapKeyRef = configMapKeyRef
        self.secretKeyRef = secretKeyRef
    }
}

public struct ObjectFieldSelector: Codable, Sendable, Equatable {
    public var apiVersion: String?
    public var fieldPath: String

    public init(apiVersion: String? = nil, fieldPath: String) {
        self.apiVersion = apiVersion
        self.fieldPath = fieldPath
    }
}

public struct ResourceRequirements: Codable, Sendable, Equatable {
    public var limits: [String: String]?
    public var requests: [String: String]?
}

public struct VolumeMount: Codable, Sendable, Equatable {
    public var name: String
    public var readOnly: Bool?
    public var mountPath: String
    public var subPath: String?
    public var subPathExpr: String?

    public init(name: String, mountPath: String, readOnly: Bool? = nil, subPath: String? = nil) {
        self.name = name
        self.mountPath = mountPath
        self.readOnly = readOnly
        self.subPath = subPath
    }
}

public struct Volume: Codable, Sendable, Equatable {
    public var name: String
    public var hostPath: HostPathVolumeSource?
    public var emptyDir: EmptyDirVolumeSource?
    public var configMap: ConfigMapVolumeSource?
    public var secret: SecretVolumeSource?
    public var downwardAPI: DownwardAPIVolumeSource?
    public var projected: ProjectedVolumeSource?
    public var persistentVolumeClaim: PersistentVolumeClaimVolumeSource?

    public init(name: String, hostPath: HostPathVolumeSource? = nil, emptyDir: EmptyDirVolumeSource? = nil) {
        self.name = name
        self.hostPath = hostPath
        self.emptyDir = emptyDir
    }
}

public struct HostPathVolumeSource: Codable, Sendable, Equatable {
    public var path: String
    public var type: String?

    public init(path: String, type: String? = nil) {
        self.path = path
        self.type = type
    }
}

public struct EmptyDirVolumeSource: Codable, Sendable, Equatable {
    public var medium: String?
    public var sizeLimit: String?

    public init(medium: String? = nil, sizeLimit: String? = nil) {
        self.medium = medium
        self.sizeLimit = sizeLimit
    }
}

public struct Probe: Codable, Sendable, Equatable {
    public init(exec: ExecAction? = nil, httpGet: HTTPGetAction? = nil, tcpSocket: TCPSocketAction? = nil) {
        self.exec = exec
        self.httpGet = httpGet
        self.tcpSocket = tcpSocket
    }
    public var exec: ExecAction?
    public var httpGet: HTTPGetAction?
    public var tcpSocket: TCPSocketAction?
    public var initialDelaySeconds: Int32?
    public var timeoutSeconds: Int32?
    public var periodSeconds: Int32?
    public var successThreshold: Int32?
    public var failureThreshold: Int32?
    public var terminationGracePeriodSeconds: Int64?
}

public struct ExecAction: Codable, Sendable, Equatable {
    public init(command: [String]?) { self.command = command }
    public var command: [String]?
}

public struct HTTPGetAction: Codable, Sendable, Equatable {
    public init(path: String?, port: IntOrString, host: String?, scheme: String?) {
        self.path = path
        self.port = port
        self.host = host
        self.scheme = scheme
    }
    public var path: String?
    public var port: IntOrString
    public var host: String?
    public var scheme: String?
    public var httpHeaders: [HTTPHeader]?
}

public struct HTTPHeader: Codable, Sendable, Equatable {
    public var name: String
    public var value: String
}

public struct TCPSocketAction: Codable, Sendable, Equatable {
    public init(port: IntOrString, host: String?) {
        self.port = port
        self.host = host
    }
    public var port: IntOrString
    public var host: String?
}

public struct Toleration: Codable, Sendable, Equatable {
    public var key: String?
    public var `operator`: String?
    public var value: String?
    public var effect: String?
    public var tolerationSeconds: Int64?

    public init(key: String? = nil, operator: String? = nil, value: String? = nil, effect: String? = nil, tolerationSeconds: Int64? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

public struct PodSecurityContext: Codable, Sendable, Equatable {
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsNonRoot: Bool?
    public var fsGroup: Int64?
    public var seccompProfile: SeccompProfile?
}

public struct SecurityContext: Codable, Sendable, Equatable {
    public var runAsUser: Int64?
    public var runAsGroup: Int64?
    public var runAsNonRoot: Bool?
    public var privileged: Bool?
    public var readOnlyRootFilesystem: Bool?
    public var allowPrivilegeEscalation: Bool?
    public var seccompProfile: SeccompProfile?
    public var capabilities: Capabilities?
}

public struct Capabilities: Codable, Sendable, Equatable {
    public var add: [String]?
    public var drop: [String]?
}

/// core/v1 LocalObjectReference as pods use it (imagePullSecrets).
public struct PodLocalObjectReference: Codable, Sendable, Equatable {
    public var name: String?
    public init(name: String?) { self.name = name }
}

public struct SeccompProfile: Codable, Sendable, Equatable {
    public var type: String
    public var localhostProfile: String?
}

/// Pod status as the kubelet reports it (a subset for now; the mirror-pod issue fills the rest).
public struct PodStatus: Codable, Sendable, Equatable {
    public var phase: String?
    public var hostIP: String?
    public var podIP: String?
    public var startTime: String?
    // What controllers read of a pod's status (Core/PodConditions.swift); the kubelet does not write these yet.
    public var conditions: [PodCondition]?
    public var containerStatuses: [ContainerStatus]?
    public var reason: String?
    public var message: String?
}
