/// Renders help text in cobra's layout (Usage, Aliases, Available Commands, Flags, Global Flags),
/// so `bootstrap init phase certs all --help` reads like `kubeadm init phase certs all --help`.
enum HelpFormatter {
    static func help(for path: [Command]) -> String {
        guard let command = path.last else { return "" }
        let fullName = path.map(\.name).joined(separator: " ")
        var text = ""
        let description = command.long ?? command.short
        if !description.isEmpty { text += description + "\n\n" }
        text += "Usage:\n"
        if command.run != nil {
            text += "  \(fullName)\(command.flags.isEmpty && path.allSatisfy({ $0.persistentFlags.isEmpty }) ? "" : " [flags]")\n"
        }
        let visibleSubs = command.subcommands.filter { !$0.hidden }
        if !visibleSubs.isEmpty { text += "  \(fullName) [command]\n" }
        if !command.aliases.isEmpty {
            text += "\nAliases:\n  \(([command.name] + command.aliases).joined(separator: ", "))\n"
        }
        if let example = command.example { text += "\nExamples:\n\(example)\n" }
        if !visibleSubs.isEmpty {
            text += "\nAvailable Commands:\n"
            let width = visibleSubs.map(\.name.count).max() ?? 0
            for sub in visibleSubs {
                text += "  \(sub.name.padding(to: max(width, 11)))  \(sub.short)\n"
            }
        }
        let local = command.flags + command.persistentFlags
        let helpFlag = Flag("help", shorthand: "h", kind: .bool, usage: "help for \(command.name)")
        text += "\nFlags:\n" + flagLines(local.filter { !$0.hidden } + [helpFlag])
        let localNames = Set(local.map(\.name))
        let inherited = path.dropLast().reversed().flatMap(\.persistentFlags).filter { !$0.hidden && !localNames.contains($0.name) }
        if !inherited.isEmpty { text += "\nGlobal Flags:\n" + flagLines(inherited) }
        if !visibleSubs.isEmpty {
            text += "\nUse \"\(fullName) [command] --help\" for more information about a command.\n"
        }
        return text
    }

    static func flagLines(_ flags: [Flag]) -> String {
        let sorted = flags.sorted { $0.name < $1.name }
        let heads = sorted.map { flag -> String in
            var head = flag.shorthand.map { "  -\($0), " } ?? "      "
            head += "--\(flag.name)"
            if !flag.kind.typeName.isEmpty { head += " \(flag.kind.typeName)" }
            return head
        }
        let width = heads.map(\.count).max() ?? 0
        var out = ""
        for (head, flag) in zip(heads, sorted) {
            var usage = flag.usage
            if let d = flag.defaultValue, !d.isEmpty, flag.kind != .bool || d == "true" {
                usage += flag.kind == .string ? " (default \"\(d)\")" : " (default \(d))"
            }
            out += "\(head.padding(to: width))   \(usage)\n"
        }
        return out
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
