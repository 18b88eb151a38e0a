import Logging

/// `kube-proxy --cleanup`: removes the jumps from the built-in chains, then empties and deletes every chain this
/// proxier writes, in both tables, so a node can leave iptables mode (or a test its network namespace) clean.
public enum Cleanup {
    static let fixedChains: [String: [String]] = [
        "filter": [ChainNames.nodePorts, ChainNames.services, ChainNames.externalServices, ChainNames.forward],
        "nat": [ChainNames.services, ChainNames.nodePorts, ChainNames.postrouting, ChainNames.markMasq],
    ]

    /// The restore input deleting our chains among `existing` (per table).
    public static func restoreInput(existing: [String: Set<String>]) -> String {
        var text: [String] = []
        for table in ["filter", "nat"] {
            let ours = (existing[table] ?? []).filter { chain in
                (fixedChains[table] ?? []).contains(chain) || ChainNames.perServicePrefixes.contains { chain.hasPrefix($0) }
            }.sorted()
            text.append("*\(table)")
            // Declaring empties them first, so the deletes find no rule pointing at a chain being deleted.
            text += ours.map { ":\($0) - [0:0]" }
            text += ours.map { "-X \($0)" }
            text.append("COMMIT")
        }
        return text.joined(separator: "\n") + "\n"
    }

    public static func run(executor: any IPTablesExecutor, logger: Logger) async -> Bool {
        for jump in RulesWriter.jumps {
            // Absent jumps are fine: a node that never ran kube-proxy, or a second cleanup.
            _ = await executor.run("iptables", Proxier.lockArguments + ["-t", jump.table, "-D", jump.chain] + jump.ruleArguments, input: nil)
        }
        var existing: [String: Set<String>] = [:]
        for table in ["filter", "nat"] {
            let saved = await executor.run("iptables-save", ["-t", table], input: nil)
            guard saved.status == 0 else {
                logger.error("Failed to execute iptables-save", metadata: ["table": "\(table)", "err": "\(saved.output.trimmingSuffixNewlines)"])
                return false
            }
            existing[table] = Set(saved.output.split(separator: "\n").compactMap { line in
                line.hasPrefix(":") ? line.dropFirst().split(separator: " ").first.map(String.init) : nil
            })
        }
        let restore = await executor.run("iptables-restore", Proxier.lockArguments + ["--noflush"], input: restoreInput(existing: existing))
        if restore.status != 0 {
            logger.error("Failed to execute iptables-restore", metadata: ["err": "\(restore.output.trimmingSuffixNewlines)"])
            return false
        }
        return true
    }
}
