/// What a command's run function receives: the parsed flags, the positional arguments,
/// the full command path (for messages) and where to write.
public struct Invocation: Sendable {
    public let flags: ParsedFlags
    public let arguments: [String]
    public let commandPath: [String]
    public let output: any OutputSink
}

/// Where a command writes: user-facing lines to standard output, errors and warnings to standard error.
public protocol OutputSink: Sendable {
    func out(_ text: String)
    func err(_ text: String)
}

/// A command in a cobra-style tree (`bootstrap init phase certs all`): its own flags, flags it passes down
/// to its children (persistent), subcommands, and an optional run function.
public struct Command: Sendable {
    public var name: String
    public var aliases: [String]
    public var short: String
    public var long: String?
    public var example: String?
    public var flags: [Flag]
    public var persistentFlags: [Flag]
    public var subcommands: [Command]
    public var hidden: Bool
    /// Validates positional arguments; returns an error message, or nil when they are fine.
    public var validateArguments: (@Sendable ([String]) -> String?)?
    public var run: (@Sendable (Invocation) async throws -> Void)?

    public init(name: String, aliases: [String] = [], short: String, long: String? = nil, example: String? = nil,
                flags: [Flag] = [], persistentFlags: [Flag] = [], subcommands: [Command] = [], hidden: Bool = false,
                validateArguments: (@Sendable ([String]) -> String?)? = nil,
                run: (@Sendable (Invocation) async throws -> Void)? = nil) {
        self.name = name
        self.aliases = aliases
        self.short = short
        self.long = long
        self.example = example
        self.flags = flags
        self.persistentFlags = persistentFlags
        self.subcommands = subcommands
        self.hidden = hidden
        self.validateArguments = validateArguments
        self.run = run
    }

    func subcommand(named word: String) -> Command? {
        subcommands.first { $0.name == word || $0.aliases.contains(word) }
    }
}

/// An error that has already been reported in full; the caller only sets the exit code.
public struct ExitError: Error, Sendable {
    public let code: Int32
    public init(code: Int32) { self.code = code }
}
