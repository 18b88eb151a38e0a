import KubeJSON
@testable import KubeProxy
import Logging
import Testing

@Suite struct ChainNameTests {
    // Values from upstream's proxier tests and from a node's iptables-save: the same names for the same Services.
    @Test func chainNamesAreUpstreams() {
        let svc1 = ServicePortName(namespace: "ns1", name: "svc1", port: "p80")
        #expect(ChainNames.service(svc1, "TCP") == "KUBE-SVC-XPGD46QRK7WJZT7O")
        #expect(ChainNames.endpoint(svc1, "tcp", EndpointInfo(ip: "10.180.0.1", port: 80)) == "KUBE-SEP-SXIVWICOYRO3J4NJ")
        #expect(ChainNames.external(ServicePortName(namespace: "ns2", name: "svc2", port: "p80"), "tcp") == "KUBE-EXT-GNZBNJ2PO5MGZ6GT")
        #expect(ServicePortName(namespace: "default", name: "kubernetes", port: "").description == "default/kubernetes")
    }

    @Test func base32MatchesRFC4648() {
        #expect(ChainNames.base32(Array("foobar".utf8)) == "MZXW6YTBOI======")
        #expect(ChainNames.base32(Array("f".utf8)) == "MY======")
        #expect(ChainNames.base32([]) == "")
    }

    @Test func probabilitiesHaveTenDecimals() {
        #expect(RulesWriter.probability(2) == "0.5000000000")
        #expect(RulesWriter.probability(3) == "0.3333333333")
        #expect(RulesWriter.probability(7) == "0.1428571429")
        #expect(RulesWriter.probability(1) == "1.0000000000")
    }
}

@Suite struct RulesWriterTests {
    let logger = Logger(label: "test.kube-proxy")
    let svc1 = ServicePortName(namespace: "ns1", name: "svc1", port: "p80")

    func state(_ services: [JSONValue], _ slices: [JSONValue]) -> ProxyState {
        ProxyState.build(services: services, slices: slices, logger: logger)
    }

    @Test func clusterIPServiceWithOneEndpoint() {
        let s = state([(Fixtures.service("ns1", "svc1", clusterIP: "172.30.0.41", ports: [("p80", 80, nil, "TCP")]))],
                      [(Fixtures.slice("ns1", "svc1", endpoints: Fixtures.ready("10.180.0.1"), ports: [("p80", 80, "TCP")]))])
        let (text, chains) = RulesWriter(options: .init(clusterCIDR: "10.0.0.0/8")).restoreInput(s)
        #expect(text == """
            *filter
            :KUBE-NODEPORTS - [0:0]
            :KUBE-SERVICES - [0:0]
            :KUBE-EXTERNAL-SERVICES - [0:0]
            :KUBE-FORWARD - [0:0]
            -A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
            -A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
            -A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            COMMIT
            *nat
            :KUBE-SERVICES - [0:0]
            :KUBE-NODEPORTS - [0:0]
            :KUBE-POSTROUTING - [0:0]
            :KUBE-MARK-MASQ - [0:0]
            :KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
            :KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
            -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
            -A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
            -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully
            -A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
            -A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
            -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
            -A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
            -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
            -A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
            -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
            COMMIT

            """)
        #expect(chains == ["KUBE-SVC-XPGD46QRK7WJZT7O", "KUBE-SEP-SXIVWICOYRO3J4NJ"])
    }

    @Test func endpointsShareTrafficByProbability() {
        let s = state([(Fixtures.service("ns1", "svc1", clusterIP: "172.30.0.41", ports: [("p80", 80, nil, "TCP")]))],
                      [(Fixtures.slice("ns1", "svc1", endpoints: Fixtures.ready("10.180.0.3", "10.180.0.1", "10.180.0.2"),
                                            ports: [("p80", 80, "TCP")]))])
        let text = RulesWriter(options: .init()).restoreInput(s).text
        let svcRules = text.split(separator: "\n").filter { $0.hasPrefix("-A KUBE-SVC-XPGD46QRK7WJZT7O") }
        #expect(svcRules.count == 3, "no masquerade rule without a cluster CIDR, one rule per endpoint")
        #expect(svcRules[0].contains("\"ns1/svc1:p80 -> 10.180.0.1:80\" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-"))
        #expect(svcRules[1].contains("\"ns1/svc1:p80 -> 10.180.0.2:80\" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-"))
        #expect(svcRules[2].contains("\"ns1/svc1:p80 -> 10.180.0.3:80\" -j KUBE-SEP-"))
        #expect(!svcRules[2].contains("statistic"))
    }

    @Test func nodePortGoesThroughTheExternalChain() {
        let s = state([(Fixtures.service("ns2", "svc2", clusterIP: "172.30.0.42", type: "NodePort", ports: [("p80", 80, 3001, "TCP")]))],
                      [(Fixtures.slice("ns2", "svc2", endpoints: Fixtures.ready("10.180.0.2"), ports: [("p80", 80, "TCP")]))])
        let text = RulesWriter(options: .init(masqueradeAll: true)).restoreInput(s).text
        #expect(text.contains(":KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]\n"))
        #expect(text.contains("-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT\n"))
        #expect(text.contains("-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment \"masquerade traffic for ns2/svc2:p80 external destinations\" -j KUBE-MARK-MASQ\n-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -j KUBE-SVC-GNZBNJ2PO5MGZ6GT\n"))
        // --masquerade-all: every cluster IP connection is marked, whatever its source.
        #expect(text.contains("-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment \"ns2/svc2:p80 cluster IP\" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-MARK-MASQ\n"))
    }

    @Test func servicesWithoutEndpointsAreRejected() {
        let s = state([(Fixtures.service("ns2", "svc2", clusterIP: "172.30.0.42", type: "NodePort", ports: [("p80", 80, 3001, "UDP")]))],
                      [(Fixtures.slice("ns2", "svc2", endpoints: [("10.180.0.2", false, false, false)], ports: [("p80", 80, "UDP")]))])
        let text = RulesWriter(options: .init()).restoreInput(s).text
        #expect(text.contains("-A KUBE-SERVICES -m comment --comment \"ns2/svc2:p80 has no endpoints\" -m udp -p udp -d 172.30.0.42 --dport 80 -j REJECT\n"))
        #expect(text.contains("-A KUBE-EXTERNAL-SERVICES -m comment --comment \"ns2/svc2:p80 has no endpoints\" -m addrtype --dst-type LOCAL -m udp -p udp --dport 3001 -j REJECT\n"))
        #expect(!text.contains("KUBE-SVC-"))
    }

    @Test func goneServicesLoseTheirChains() {
        let s = state([], [])
        let existing: Set<String> = ["KUBE-SVC-XPGD46QRK7WJZT7O", "KUBE-SEP-SXIVWICOYRO3J4NJ", "KUBE-SERVICES", "DOCKER", "KUBE-KUBELET-CANARY"]
        let text = RulesWriter(options: .init()).restoreInput(s, existingNATChains: existing).text
        #expect(text.contains(":KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]\n:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]\n"))
        #expect(text.hasSuffix("-X KUBE-SEP-SXIVWICOYRO3J4NJ\n-X KUBE-SVC-XPGD46QRK7WJZT7O\nCOMMIT\n"))
        #expect(!text.contains("DOCKER"), "chains of others are left alone")
        #expect(!text.contains("CANARY"))
    }

    @Test func cleanupDeletesOnlyOurChains() {
        let text = Cleanup.restoreInput(existing: ["nat": ["KUBE-SERVICES", "KUBE-SVC-XPGD46QRK7WJZT7O", "DOCKER", "POSTROUTING"],
                                                   "filter": ["KUBE-FORWARD", "INPUT"]])
        #expect(text == "*filter\n:KUBE-FORWARD - [0:0]\n-X KUBE-FORWARD\nCOMMIT\n*nat\n:KUBE-SERVICES - [0:0]\n:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]\n-X KUBE-SERVICES\n-X KUBE-SVC-XPGD46QRK7WJZT7O\nCOMMIT\n")
    }
}

