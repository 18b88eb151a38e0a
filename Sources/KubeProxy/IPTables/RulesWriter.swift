/// Writes the `iptables-restore` input for a full sync, in upstream's iptables-mode layout:
///
/// - nat: KUBE-SERVICES matches each cluster IP:port and jumps to the port's KUBE-SVC-<hash>, which marks
///   off-cluster sources for masquerade (`! -s <clusterCIDR>`) and picks a KUBE-SEP-<hash> per endpoint with
///   `-m statistic --mode random` (probability 1/n, 1/(n-1), …, the last rule catching the rest); each KUBE-SEP DNATs
///   to its endpoint and marks hairpin traffic (the endpoint calling its own Service). KUBE-NODEPORTS sends node ports
///   to KUBE-EXT-<hash>, which marks for masquerade and goes on to the KUBE-SVC chain. KUBE-POSTROUTING masquerades
///   what KUBE-MARK-MASQ marked.
/// - filter: a Service port without endpoints is REJECTed (KUBE-SERVICES for its cluster IP, KUBE-EXTERNAL-SERVICES
///   for its node port) instead of timing out; KUBE-FORWARD accepts marked and established traffic.
///
/// The chains are declared (`:NAME - [0:0]`), which with `--noflush` empties just them; per-service chains that
/// exist but are no longer wanted are declared and deleted (`-X`), so a removed Service leaves nothing behind.
public struct RulesWriter: Sendable {
    public struct Options: Sendable, Equatable {
        /// Traffic from outside this range to a cluster IP is masqueraded (`--cluster-cidr`); nil: none is.
        public var clusterCIDR: String?
        /// Masquerade all traffic to cluster IPs (`--masquerade-all`).
        public var masqueradeAll = false
        /// The bit of the packet mark KUBE-MARK-MASQ sets (`--iptables-masquerade-bit`, 14: 0x4000).
        public var masqueradeBit = 14
        /// `MASQUERADE --random-fully` (iptables 1.6.2 and later).
        public var randomFully = true

        public init(clusterCIDR: String? = nil, masqueradeAll: Bool = false, masqueradeBit: Int = 14, randomFully: Bool = true) {
            self.clusterCIDR = clusterCIDR
            self.masqueradeAll = masqueradeAll
            self.masqueradeBit = masqueradeBit
            self.randomFully = randomFully
        }

        var mark: String { "0x" + String(1 << max(0, min(masqueradeBit, 31)), radix: 16) }
    }

    public var options: Options

    public init(options: Options) { self.options = options }

    /// The text for one `iptables-restore --noflush` call, and the per-service nat chains it leaves in place.
    public func restoreInput(_ state: ProxyState, existingNATChains: Set<String> = []) -> (text: String, natChains: Set<String>) {
        var filterRules: [String] = []
        var natChains: [String] = []
        var natRules: [String] = []
        let mark = options.mark

        for name in state.services.keys.sorted() {
            guard let service = state.services[name] else { continue }
            let proto = service.iptablesProtocol
            let endpoints = state.usableEndpoints(name)
            let svcChain = ChainNames.service(name, proto)
            let clusterIPComment = quoted("\(name) cluster IP")
            let clusterIPMatch = ["-m", proto, "-p", proto, "-d", service.clusterIP, "--dport", "\(service.port)"]

            if endpoints.isEmpty {
                let comment = quoted("\(name) has no endpoints")
                filterRules.append(line(["-A", ChainNames.services, "-m", "comment", "--comment", comment] + clusterIPMatch + ["-j", "REJECT"]))
                if service.nodePort > 0 {
                    filterRules.append(line(["-A", ChainNames.externalServices, "-m", "comment", "--comment", comment,
                                             "-m", "addrtype", "--dst-type", "LOCAL", "-m", proto, "-p", proto,
                                             "--dport", "\(service.nodePort)", "-j", "REJECT"]))
                }
                continue
            }

            natChains.append(svcChain)
            natRules.append(line(["-A", ChainNames.services, "-m", "comment", "--comment", clusterIPComment] + clusterIPMatch
                                 + ["-j", svcChain]))
            if service.nodePort > 0 {
                let extChain = ChainNames.external(name, proto)
                natChains.append(extChain)
                natRules.append(line(["-A", ChainNames.nodePorts, "-m", "comment", "--comment", quoted(name.description),
                                      "-m", proto, "-p", proto, "--dport", "\(service.nodePort)", "-j", extChain]))
                natRules.append(line(["-A", extChain, "-m", "comment", "--comment",
                                      quoted("masquerade traffic for \(name) external destinations"), "-j", ChainNames.markMasq]))
                natRules.append(line(["-A", extChain, "-j", svcChain]))
            }
            if options.masqueradeAll {
                natRules.append(line(["-A", svcChain, "-m", "comment", "--comment", clusterIPComment] + clusterIPMatch
                                     + ["-j", ChainNames.markMasq]))
            } else if let cidr = options.clusterCIDR {
                natRules.append(line(["-A", svcChain, "-m", "comment", "--comment", clusterIPComment] + clusterIPMatch
                                     + ["!", "-s", cidr, "-j", ChainNames.markMasq]))
            }
            for (index, endpoint) in endpoints.enumerated() {
                let sepChain = ChainNames.endpoint(name, proto, endpoint)
                var args = ["-A", svcChain, "-m", "comment", "--comment", quoted("\(name) -> \(endpoint)")]
                let remaining = endpoints.count - index
                if remaining > 1 {
                    args += ["-m", "statistic", "--mode", "random", "--probability", Self.probability(remaining)]
                }
                natRules.append(line(args + ["-j", sepChain]))
            }
            for endpoint in endpoints {
                let sepChain = ChainNames.endpoint(name, proto, endpoint)
                natChains.append(sepChain)
                natRules.append(line(["-A", sepChain, "-m", "comment", "--comment", quoted(name.description),
                                      "-s", endpoint.ip, "-j", ChainNames.markMasq]))
                natRules.append(line(["-A", sepChain, "-m", "comment", "--comment", quoted(name.description),
                                      "-m", proto, "-p", proto, "-j", "DNAT", "--to-destination", endpoint.description]))
            }
        }
        // Last in KUBE-SERVICES: every cluster IP rule must be tried before a local address is taken as a node port.
        natRules.append(line(["-A", ChainNames.services, "-m", "comment", "--comment",
                              quoted("kubernetes service nodeports; NOTE: this must be the last rule in this chain"),
                              "-m", "addrtype", "--dst-type", "LOCAL", "-j", ChainNames.nodePorts]))

        var text: [String] = ["*filter"]
        for chain in [ChainNames.nodePorts, ChainNames.services, ChainNames.externalServices, ChainNames.forward] {
            text.append(":\(chain) - [0:0]")
        }
        text += filterRules
        text.append(line(["-A", ChainNames.forward, "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"]))
        text.append(line(["-A", ChainNames.forward, "-m", "comment", "--comment", quoted("kubernetes forwarding rules"),
                          "-m", "mark", "--mark", "\(mark)/\(mark)", "-j", "ACCEPT"]))
        text.append(line(["-A", ChainNames.forward, "-m", "comment", "--comment", quoted("kubernetes forwarding conntrack rule"),
                          "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"]))
        text.append("COMMIT")

        text.append("*nat")
        for chain in [ChainNames.services, ChainNames.nodePorts, ChainNames.postrouting, ChainNames.markMasq] {
            text.append(":\(chain) - [0:0]")
        }
        let wanted = Set(natChains)
        let stale = existingNATChains.filter { chain in
            !wanted.contains(chain) && ChainNames.perServicePrefixes.contains { chain.hasPrefix($0) }
        }.sorted()
        for chain in natChains + stale { text.append(":\(chain) - [0:0]") }
        text.append(line(["-A", ChainNames.postrouting, "-m", "mark", "!", "--mark", "\(mark)/\(mark)", "-j", "RETURN"]))
        // Clear the mark so a packet re-traversing the network stack is not masqueraded twice.
        text.append(line(["-A", ChainNames.postrouting, "-j", "MARK", "--xor-mark", mark]))
        text.append(line(["-A", ChainNames.postrouting, "-m", "comment", "--comment", quoted("kubernetes service traffic requiring SNAT"),
                          "-j", "MASQUERADE"] + (options.randomFully ? ["--random-fully"] : [])))
        text.append(line(["-A", ChainNames.markMasq, "-j", "MARK", "--or-mark", mark]))
        text += natRules
        for chain in stale { text.append("-X \(chain)") }
        text.append("COMMIT")
        return (text.joined(separator: "\n") + "\n", wanted)
    }

    /// The rules that send traffic from the built-in chains into ours (upstream's iptablesJumpChains), kept in place
    /// with `iptables -C` / `-I` rather than in the restore input, which must not flush built-in chains.
    public struct Jump: Sendable, Equatable {
        public var table: String
        public var chain: String
        public var target: String
        public var comment: String
        public var extra: [String]

        /// The rule as `iptables` arguments after `-t TABLE -C|-I CHAIN`.
        public var ruleArguments: [String] { ["-m", "comment", "--comment", comment] + extra + ["-j", target] }
    }

    public static let jumps: [Jump] = [
        Jump(table: "filter", chain: "INPUT", target: ChainNames.externalServices, comment: "kubernetes externally-visible service portals",
             extra: ["-m", "conntrack", "--ctstate", "NEW"]),
        Jump(table: "filter", chain: "FORWARD", target: ChainNames.externalServices, comment: "kubernetes externally-visible service portals",
             extra: ["-m", "conntrack", "--ctstate", "NEW"]),
        Jump(table: "filter", chain: "INPUT", target: ChainNames.nodePorts, comment: "kubernetes health check service ports", extra: []),
        Jump(table: "filter", chain: "FORWARD", target: ChainNames.services, comment: "kubernetes service portals",
             extra: ["-m", "conntrack", "--ctstate", "NEW"]),
        Jump(table: "filter", chain: "OUTPUT", target: ChainNames.services, comment: "kubernetes service portals",
             extra: ["-m", "conntrack", "--ctstate", "NEW"]),
        Jump(table: "filter", chain: "FORWARD", target: ChainNames.forward, comment: "kubernetes forwarding rules", extra: []),
        Jump(table: "nat", chain: "OUTPUT", target: ChainNames.services, comment: "kubernetes service portals", extra: []),
        Jump(table: "nat", chain: "PREROUTING", target: ChainNames.services, comment: "kubernetes service portals", extra: []),
        Jump(table: "nat", chain: "POSTROUTING", target: ChainNames.postrouting, comment: "kubernetes postrouting rules", extra: []),
    ]

    /// `1/n` with ten decimals, as upstream writes it (`0.5000000000`, `0.3333333333`).
    static func probability(_ n: Int) -> String {
        let scaled = (10_000_000_000 + n / 2) / max(n, 1)   // 1/n rounded to 10 decimals, without Foundation formatting
        let digits = String(scaled)
        if scaled >= 10_000_000_000 { return "1.0000000000" }
        return "0." + String(repeating: "0", count: max(0, 10 - digits.count)) + digits
    }

    private func quoted(_ text: String) -> String { text.contains(" ") ? "\"\(text)\"" : text }
    private func line(_ parts: [String]) -> String { parts.joined(separator: " ") }
}
