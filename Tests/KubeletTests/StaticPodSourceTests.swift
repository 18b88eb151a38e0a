import Foundation
import Logging
import Testing
@testable import Kubelet

@Suite struct StaticPodSourceTests {
    @Test func aCopyOfARunningManifestDoesNotTakeItsPodOver() async throws {
        let dir = try TempDir()
        let source = StaticPodSource(directory: dir.path, nodeName: "n1", checkFrequency: 20, logger: Logger(label: "test"))
        let manifest = podYAML(name: "web", script: "sleep 600")
        try manifest.write(toFile: "\(dir.path)/web.yaml", atomically: true, encoding: .utf8)
        #expect(await source.scan().map(\.sourcePath) == ["\(dir.path)/web.yaml"])

        // "web-copy.yaml" sorts before "web.yaml"; the running pod still belongs to web.yaml.
        try manifest.write(toFile: "\(dir.path)/web-copy.yaml", atomically: true, encoding: .utf8)
        #expect(await source.scan().map(\.sourcePath) == ["\(dir.path)/web.yaml"])

        // Once the original goes, the copy is the only definition and takes over.
        try FileManager.default.removeItem(atPath: "\(dir.path)/web.yaml")
        #expect(await source.scan().map(\.sourcePath) == ["\(dir.path)/web-copy.yaml"])
    }

    @Test func betweenNewFilesTheFirstByNameWinsAndOtherPodsAreKept() async throws {
        let dir = try TempDir()
        let source = StaticPodSource(directory: dir.path, nodeName: "n1", checkFrequency: 20, logger: Logger(label: "test"))
        try podYAML(name: "web", script: "sleep 600").write(toFile: "\(dir.path)/b.yaml", atomically: true, encoding: .utf8)
        try podYAML(name: "web", script: "sleep 601").write(toFile: "\(dir.path)/a.yaml", atomically: true, encoding: .utf8)
        try podYAML(name: "other", script: "sleep 602").write(toFile: "\(dir.path)/c.yaml", atomically: true, encoding: .utf8)
        try "kind: Pod\n spec: [\n".write(toFile: "\(dir.path)/broken.yaml", atomically: true, encoding: .utf8)
        let pods = await source.scan()
        #expect(pods.map(\.sourcePath) == ["\(dir.path)/a.yaml", "\(dir.path)/c.yaml"])
        #expect(pods.map(\.name) == ["web-n1", "other-n1"])
    }
}
