import KubeCommand

/// One step of a kubeadm-style workflow (`certs`, `certs/apiserver`). A phase is a plain value: its children,
/// what it runs, an optional guard, and which of the parent command's flags its own `phase` subcommand accepts.
public struct Phase<Data: Sendable>: Sendable {
    public var name: String
    public var short: String
    public var long: String?
    public var phases: [Phase<Data>]
    /// Marks the `all` child, which stands for "every sibling" and is not run on its own when the parent runs.
    public var runAllSiblings: Bool
    public var hidden: Bool
    /// Names of the parent command's flags this phase's subcommand accepts.
    public var inheritFlags: [String]
    public var localFlags: [Flag]
    public var run: (@Sendable (Data) async throws -> Void)?
    public var runIf: (@Sendable (Data) async throws -> Bool)?

    public init(name: String, short: String, long: String? = nil, phases: [Phase<Data>] = [],
                runAllSiblings: Bool = false, hidden: Bool = false, inheritFlags: [String] = [],
                localFlags: [Flag] = [], runIf: (@Sendable (Data) async throws -> Bool)? = nil,
                run: (@Sendable (Data) async throws -> Void)? = nil) {
        self.name = name
        self.short = short
        self.long = long
        self.phases = phases
        self.runAllSiblings = runAllSiblings
        self.hidden = hidden
        self.inheritFlags = inheritFlags
        self.localFlags = localFlags
        self.run = run
        self.runIf = runIf
    }
}

/// A phase failed; the message names the phase path as kubeadm does (`error execution phase certs/apiserver: …`).
public struct PhaseError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let underlying: any Error

    public var description: String { "error execution phase \(path): \(underlying)" }
}

/// A phase name given with `--skip-phases` or `phase <name>` does not exist.
public struct UnknownPhaseError: Error, CustomStringConvertible, Sendable {
    public let name: String
    public let known: [String]
    public var description: String {
        "phase \"\(name)\" does not exist; known phases: \(known.joined(separator: ", "))"
    }
}
