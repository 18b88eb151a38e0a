import AtomicFile

/// Finds the command a command line names, parses its flags and runs it, with cobra's conventions:
/// flags may appear anywhere, `--name=value` and `--name value` both work, `--` ends the flags,
/// `-h/--help` prints help, and errors print `Error: <message>` on standard error.
public struct CommandRunner: Sendable {
    public let root: Command
    public let output: any OutputSink

    public init(root: Command, output: any OutputSink = StandardOutputSink()) {
        self.root = root
        self.output = output
    }

    /// Runs the command line (without the program name) and returns the process exit code.
    public func execute(_ arguments: [String]) async -> Int32 {
        let resolved: Resolution
        do {
            resolved = try resolve(arguments)
        } catch {
            output.err("Error: \(error)\n")
            return 1
        }
        let command = resolved.path.last ?? root
        let pathNames = resolved.path.map(\.name)
        if resolved.wantsHelp {
            output.out(HelpFormatter.help(for: resolved.path))
            return 0
        }
        guard let run = command.run else {
            if let first = resolved.positionals.first, !command.subcommands.isEmpty {
                output.err("Error: unknown command \"\(first)\" for \"\(pathNames.joined(separator: " "))\"\nRun '\(pathNames.joined(separator: " ")) --help' for usage.\n")
                return 1
            }
            output.out(HelpFormatter.help(for: resolved.path))
            return 0
        }
        if let first = resolved.positionals.first, !command.subcommands.isEmpty {
            output.err("Error: unknown command \"\(first)\" for \"\(pathNames.joined(separator: " "))\"\nRun '\(pathNames.joined(separator: " ")) --help' for usage.\n")
            return 1
        }
        if let validate = command.validateArguments, let problem = validate(resolved.positionals) {
            output.err("Error: \(problem)\nRun '\(pathNames.joined(separator: " ")) --help' for usage.\n")
            return 1
        }
        do {
            try await run(Invocation(flags: resolved.flags, arguments: resolved.positionals,
                                     commandPath: pathNames, output: output))
            return 0
        } catch let exit as ExitError {
            return exit.code
        } catch {
            output.err("\(error)\n")
            return 1
        }
    }

    struct Resolution {
        var path: [Command]
        var flags: ParsedFlags
        var positionals: [String]
        var wantsHelp: Bool
    }

    /// Splits the command line into the command path, flags and positional arguments.
    func resolve(_ arguments: [String]) throws(FlagError) -> Resolution {
        var path = [root]
        var rawFlags: [(String, String?, Bool)] = []   // name or shorthand, inline value, isShorthand
        var positionals: [String] = []
        var index = 0
        var pendingValueFlag: Int? = nil
        var flagsEnded = false

        // First pass: walk words, descending into subcommands while no positional was seen.
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if let pending = pendingValueFlag {
                rawFlags[pending].1 = word
                pendingValueFlag = nil
                continue
            }
            if flagsEnded || word == "-" || !word.hasPrefix("-") {
                if !flagsEnded, positionals.isEmpty, let sub = path.last?.subcommand(named: word) {
                    path.append(sub)
                } else {
                    positionals.append(word)
                }
                continue
            }
            if word == "--" { flagsEnded = true; continue }
            if word.hasPrefix("--") {
                let body = word.dropFirst(2)
                if let eq = body.firstIndex(of: "=") {
                    rawFlags.append((String(body[..<eq]), String(body[body.index(after: eq)...]), false))
                } else {
                    rawFlags.append((String(body), nil, false))
                    if let def = Self.lookup(String(body), in: path), def.takesValue {
                        pendingValueFlag = rawFlags.count - 1
                    }
                }
            } else {
                // -o json, -ojson, -o=json, -h
                let body = word.dropFirst()
                guard let letter = body.first else { continue }
                let rest = body.dropFirst()
                if rest.first == "=" {
                    rawFlags.append((String(letter), String(rest.dropFirst()), true))
                } else if !rest.isEmpty, let def = Self.lookupShort(letter, in: path), def.takesValue {
                    rawFlags.append((String(letter), String(rest), true))
                } else {
                    rawFlags.append((String(letter), nil, true))
                    if let def = Self.lookupShort(letter, in: path), def.takesValue {
                        pendingValueFlag = rawFlags.count - 1
                    }
                }
            }
        }

        // Second pass: validate against the final command's flag set.
        let definitions = Self.availableFlags(for: path)
        var parsed = ParsedFlags(definitions: definitions)
        var wantsHelp = false
        for (key, inline, isShort) in rawFlags {
            if key == "help" || (isShort && key == "h") { wantsHelp = true; continue }
            let def: Flag?
            if isShort {
                def = key.first.flatMap { letter in definitions.first { $0.shorthand == letter } }
            } else {
                def = definitions.first { $0.name == key }
            }
            guard let def else {
                throw FlagError(isShort ? "unknown shorthand flag: '\(key)' in -\(key)" : "unknown flag: --\(key)")
            }
            let shown = isShort ? "-\(key)" : "--\(key)"
            if def.kind == .bool {
                let value = inline ?? "true"
                switch value.lowercased() {
                case "true", "1", "t": parsed.record(def.name, "true")
                case "false", "0", "f": parsed.record(def.name, "false")
                default:
                    throw FlagError("invalid argument \"\(value)\" for \"\(shown)\" flag: strconv.ParseBool: parsing \"\(value)\": invalid syntax")
                }
            } else {
                guard let value = inline else {
                    throw FlagError("flag needs an argument: \(shown)")
                }
                if def.kind == .int || def.kind == .level, Int(value) == nil {
                    throw FlagError("invalid argument \"\(value)\" for \"\(shown)\" flag: strconv.ParseInt: parsing \"\(value)\": invalid syntax")
                }
                if def.kind == .float32, Double(value).map({ $0.isFinite && abs($0) <= Double(Float.greatestFiniteMagnitude) }) != true {
                    throw FlagError("invalid argument \"\(value)\" for \"\(shown)\" flag: strconv.ParseFloat: parsing \"\(value)\": invalid syntax")
                }
                parsed.record(def.name, value)
            }
        }
        return Resolution(path: path, flags: parsed, positionals: positionals, wantsHelp: wantsHelp)
    }

    /// The flags a command accepts: its own plus the persistent flags of itself and its ancestors.
    static func availableFlags(for path: [Command]) -> [Flag] {
        var out: [Flag] = []
        var seen = Set<String>()
        let command = path.last
        for flag in (command?.flags ?? []) + path.reversed().flatMap(\.persistentFlags) where !seen.contains(flag.name) {
            seen.insert(flag.name)
            out.append(flag)
        }
        return out
    }

    private static func lookup(_ name: String, in path: [Command]) -> Flag? {
        // While walking we may not yet know the final command, so look through every command on the path
        // and the direct subcommands' flags too (cobra's stripFlags does the same).
        for command in path.reversed() {
            if let f = (command.flags + command.persistentFlags).first(where: { $0.name == name }) { return f }
        }
        return nil
    }

    private static func lookupShort(_ letter: Character, in path: [Command]) -> Flag? {
        for command in path.reversed() {
            if let f = (command.flags + command.persistentFlags).first(where: { $0.shorthand == letter }) { return f }
        }
        return nil
    }
}

/// Writes to the process's standard output and standard error, unbuffered line by line.
public struct StandardOutputSink: OutputSink {
    public init() {}
    public func out(_ text: String) { AtomicFile.writeAll(fd: 1, bytes: text.utf8) }
    public func err(_ text: String) { AtomicFile.writeAll(fd: 2, bytes: text.utf8) }
}
