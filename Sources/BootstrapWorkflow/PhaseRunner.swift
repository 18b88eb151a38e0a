import KubeCommand

/// Runs a tree of phases in order (parents before their children), honouring a filter (`phase certs`)
/// and `--skip-phases` (a skipped parent skips its children; skip beats filter), and builds the
/// `phase` subcommands and the help listing from the same tree.
public struct PhaseRunner<Data: Sendable>: Sendable {
    public let phases: [Phase<Data>]

    public init(phases: [Phase<Data>]) {
        self.phases = phases
    }

    /// A phase with its "/"-joined path (`certs/apiserver`) and depth.
    public struct FlatPhase: Sendable {
        public let path: String
        public let depth: Int
        public let phase: Phase<Data>
    }

    /// Every phase in run order.
    public func flattened() -> [FlatPhase] {
        var out: [FlatPhase] = []
        func visit(_ list: [Phase<Data>], prefix: String, depth: Int) {
            for phase in list {
                let path = prefix.isEmpty ? phase.name : "\(prefix)/\(phase.name)"
                out.append(FlatPhase(path: path, depth: depth, phase: phase))
                visit(phase.phases, prefix: path, depth: depth + 1)
            }
        }
        visit(phases, prefix: "", depth: 0)
        return out
    }

    /// Checks that every name refers to a phase.
    public func validate(names: [String]) throws(UnknownPhaseError) {
        let known = flattened().map(\.path)
        for name in names where !known.contains(name) {
            throw UnknownPhaseError(name: name, known: known)
        }
    }

    /// The paths that would run for a filter and skip list, in order.
    public func plan(only filter: String? = nil, skip: [String] = []) throws(UnknownPhaseError) -> [String] {
        try validate(names: skip + (filter.map { [$0] } ?? []))
        var effectiveFilter = filter
        let flat = flattened()
        if let f = filter, let entry = flat.first(where: { $0.path == f }), entry.phase.runAllSiblings {
            // `phase certs all` means "every phase under certs".
            effectiveFilter = f.split(separator: "/").dropLast().joined(separator: "/")
        }
        func within(_ path: String, _ root: String) -> Bool { path == root || path.hasPrefix(root + "/") }
        return flat.compactMap { entry in
            if entry.phase.runAllSiblings { return nil }
            if let f = effectiveFilter, !f.isEmpty {
                // Ancestors of the filter run too (their Run prints context such as the certificate folder).
                let isAncestor = f.hasPrefix(entry.path + "/")
                guard within(entry.path, f) || isAncestor else { return nil }
            }
            if skip.contains(where: { within(entry.path, $0) }) { return nil }
            return entry.path
        }
    }

    /// Runs the planned phases in order; the first failure stops the run and is reported with its phase path.
    public func run(data: Data, only filter: String? = nil, skip: [String] = []) async throws {
        let planned = try plan(only: filter, skip: skip)
        let byPath = Dictionary(uniqueKeysWithValues: flattened().map { ($0.path, $0.phase) })
        var skippedParents: [String] = []
        for path in planned {
            guard let phase = byPath[path] else { continue }
            if skippedParents.contains(where: { path.hasPrefix($0 + "/") }) { continue }
            do {
                if let runIf = phase.runIf, try await !runIf(data) {
                    skippedParents.append(path)
                    continue
                }
                try await phase.run?(data)
            } catch let error as PhaseError {
                throw error
            } catch {
                throw PhaseError(path: path, underlying: error)
            }
        }
    }

    /// The phase list kubeadm prints in `init --help`.
    public func helpListing(commandName: String) -> String {
        let flat = flattened().filter { !$0.phase.hidden }
        let heads = flat.map { entry in
            String(repeating: "  ", count: entry.depth) + (entry.depth > 0 ? "/" : "") + entry.phase.name
        }
        let width = (heads.map(\.count).max() ?? 0) + 2
        var text = "The \"\(commandName)\" command executes the following phases:\n```\n"
        for (head, entry) in zip(heads, flat) {
            text += head + String(repeating: " ", count: width - head.count) + entry.phase.short + "\n"
        }
        return text + "```"
    }

    /// Builds `<command> phase <name> [<child>]` subcommands. Each accepts the flags its phase inherits from
    /// the parent command (`commandFlags`) plus its local flags, and runs its subtree.
    public func phaseCommand(commandName: String, commandFlags: [Flag],
                             makeData: @escaping @Sendable (Invocation) async throws -> Data) -> Command {
        func build(_ phase: Phase<Data>, path: String) -> Command {
            let children = phase.phases.map { build($0, path: "\(path)/\($0.name)") }
            let inherited = commandFlags.filter { phase.inheritFlags.contains($0.name) }
            let runner = self
            return Command(
                name: phase.name, short: phase.short, long: phase.long ?? phase.short,
                flags: inherited + phase.localFlags, subcommands: children, hidden: phase.hidden,
                validateArguments: { args in args.isEmpty ? nil : "unexpected argument \"\(args[0])\"" },
                run: { invocation in
                    let data = try await makeData(invocation)
                    try await runner.run(data: data, only: path)
                })
        }
        return Command(name: "phase", short: "Use this command to invoke single phase of the \(commandName) workflow",
                       subcommands: phases.map { build($0, path: $0.name) })
    }
}
