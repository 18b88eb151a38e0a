@testable import APIServer
import KubeJSON
import Testing

/// The Node authorizer's graph on its own: what a pod links its node to, counted per pod, and bad pods skipped.
@Suite struct NodeGraphTests {
    func ref(_ resource: String, _ name: String, _ namespace: String = "ns") -> NodeGraph.Reference {
        NodeGraph.Reference(resource: resource, namespace: namespace, name: name)
    }

    @Test func everyKindOfReferenceLinksTheNode() throws {
        let pod: JSONValue = [
            "metadata": ["name": "p", "namespace": "ns"],
            "spec": [
                "nodeName": "n1", "serviceAccountName": "runner", "imagePullSecrets": [["name": "pull"]],
                "initContainers": [["name": "i", "envFrom": [["secretRef": ["name": "init-env"]]]]],
                "containers": [["name": "c", "env": [["name": "A", "valueFrom": ["configMapKeyRef": ["name": "env-cm", "key": "k"]]]]]],
                "volumes": [
                    ["name": "proj", "projected": ["sources": [["secret": ["name": "proj-s"]], ["configMap": ["name": "proj-cm"]],
                                                               ["serviceAccountToken": ["path": "token"]]]]],
                    ["name": "scratch", "ephemeral": ["volumeClaimTemplate": ["spec": .emptyObject]]],
                    ["name": "csi", "csi": ["driver": "d", "nodePublishSecretRef": ["name": "csi-s"]]],
                    ["name": "claim", "persistentVolumeClaim": ["claimName": "data"]],
                ],
            ],
        ]
        let edges = try #require(NodeGraph.edges(pod))
        #expect(edges.node == "n1")
        #expect(edges.references == [
            ref("serviceaccounts", "runner"), ref("secrets", "pull"), ref("secrets", "init-env"), ref("configmaps", "env-cm"),
            ref("secrets", "proj-s"), ref("configmaps", "proj-cm"), ref("persistentvolumeclaims", "p-scratch"),
            ref("secrets", "csi-s"), ref("persistentvolumeclaims", "data"),
        ])
        // Unbound pods link nothing; fields of the wrong type are skipped.
        #expect(NodeGraph.edges(["metadata": ["name": "q"], "spec": ["containers": []]]) == nil)
        let odd: JSONValue = ["metadata": ["name": "r", "namespace": "ns"],
                              "spec": ["nodeName": "n1", "volumes": "x", "containers": [["env": 3, "envFrom": [["secretRef": ["name": 7]]]]]]]
        #expect(NodeGraph.edges(odd)?.references == [])
    }

    @Test func pathsAreCountedPerPodAndFollowClaimsToVolumes() async {
        let graph = NodeGraph(logger: .init(label: "test"))
        func pod(_ name: String, node: String, secret: String) -> JSONValue {
            ["metadata": ["name": .string(name), "namespace": "ns"],
             "spec": ["nodeName": .string(node), "volumes": [["name": "s", "secret": ["secretName": .string(secret)]],
                                                             ["name": "d", "persistentVolumeClaim": ["claimName": "data"]]]]]
        }
        await graph.setPod(key: "/registry/pods/ns/a", pod("a", node: "n1", secret: "shared"))
        await graph.setPod(key: "/registry/pods/ns/b", pod("b", node: "n1", secret: "shared"))
        await graph.setClaim(key: "/registry/persistentvolumeclaims/ns/data", ["spec": ["volumeName": "pv1"]])
        #expect(await graph.hasPath(from: "n1", to: ref("secrets", "shared")))
        #expect(await graph.hasPath(from: "n1", to: NodeGraph.Reference(resource: "persistentvolumes", namespace: "", name: "pv1")))
        #expect(await !graph.hasPath(from: "n1", to: NodeGraph.Reference(resource: "persistentvolumes", namespace: "", name: "pv2")))
        #expect(await !graph.hasPath(from: "n2", to: ref("secrets", "shared")))
        #expect(await !graph.hasPath(from: "n1", to: ref("secrets", "shared", "other")))
        // One pod gone: the other still links it. Both gone (or moved): nothing is left.
        await graph.setPod(key: "/registry/pods/ns/a", nil)
        #expect(await graph.hasPath(from: "n1", to: ref("secrets", "shared")))
        await graph.setPod(key: "/registry/pods/ns/b", pod("b", node: "n1", secret: "renamed"))
        #expect(await !graph.hasPath(from: "n1", to: ref("secrets", "shared")))
        await graph.setPod(key: "/registry/pods/ns/b", nil)
        #expect(await !graph.hasPath(from: "n1", to: ref("secrets", "renamed")))
        #expect(await !graph.hasPath(from: "n1", to: NodeGraph.Reference(resource: "persistentvolumes", namespace: "", name: "pv1")))
    }
}
