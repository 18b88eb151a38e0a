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

@Suite struct DirectoryWatcherTests {
    /// A watcher released while its thread is between poll and read (preempted, or here held in its callback) must not
    /// leave that thread on descriptor numbers that the next socket or pipe of the process gets: the thread would read
    /// that socket's bytes away (a kubelet test's watcher, torn down, stealing from another test's connection).
    @Test func aReleasedWatchersThreadLeavesLaterDescriptorsAlone() async throws {
        let dir = try TempDir()
        // The first callback takes the one token and holds the thread there until told to go on. The token is
        // signalled rather than made with value 1: libdispatch traps on freeing a semaphore below its initial value.
        let token = DispatchSemaphore(value: 0), inCallback = DispatchSemaphore(value: 0), proceed = DispatchSemaphore(value: 0)
        token.signal()
        var watcher = DirectoryWatcher(path: dir.path) { _ in
            guard token.wait(timeout: .now()) == .success else { return }
            inCallback.signal()
            proceed.wait()
        }
        #expect(watcher != nil)
        try dir.write("a", "x")
        let entered = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: inCallback.wait(timeout: .now() + 30) == .success) }
        }
        try #require(entered, "no inotify event reached the watcher")
        watcher = nil
        // Made right after the release, the pair takes the lowest free numbers: those the watcher held, unless they
        // are still open. Bytes wait on pair[0] only.
        var pair: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0)
        defer { close(pair[0]); close(pair[1]) }
        _ = fcntl(pair[0], F_SETFL, fcntl(pair[0], F_GETFL) | O_NONBLOCK)
        let sent = Array("hello".utf8)
        #expect(write(pair[1], sent, sent.count) == sent.count)
        proceed.signal()
        try await Task.sleep(for: .milliseconds(300))
        var received = [UInt8](repeating: 0, count: 16)
        let n = read(pair[0], &received, received.count)
        #expect(n == sent.count, "the bytes were read by someone else (read returned \(n), errno \(errno))")
    }
}
