import KubeAPI

/// One exec, attach or port-forward request of the kubelet API, as the runtime is asked for its streaming URL.
public struct StreamRequest: Sendable, Equatable {
    public enum Kind: String, Sendable { case exec, attach, portForward }

    public var kind: Kind
    public var namespace: String
    public var pod: String
    public var podUID: String
    /// Empty for port-forward.
    public var container: String
    public var command: [String]
    public var stdin: Bool
    public var stdout: Bool
    public var stderr: Bool
    public var tty: Bool
    /// Port-forward's ports (from the `port` query parameters; kubectl names them in stream headers instead).
    public var ports: [Int32]

    public init(kind: Kind, namespace: String, pod: String, podUID: String = "", container: String = "", command: [String] = [],
                stdin: Bool = false, stdout: Bool = true, stderr: Bool = true, tty: Bool = false, ports: [Int32] = []) {
        self.kind = kind
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.container = container
        self.command = command
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.tty = tty
        self.ports = ports
    }
}

/// A pod (and one of its containers) that a streaming request reaches on this node.
public struct StreamTarget: Sendable {
    public var pod: KubeletPod
    public var container: Container?
    public var status: ContainerStatusSnapshot?
    /// What a command run by exec in a host-process container gets: the container's own environment as the kubelet
    /// resolved it (ConfigMaps, Secrets, Services), with a host process's PATH, HOSTNAME and HOME.
    public var environment: [(String, String)] = []
}
