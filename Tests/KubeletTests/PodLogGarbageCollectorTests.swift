import Foundation
import Testing
@testable import Kubelet

@Suite struct PodLogGarbageCollectorTests {
    /// Lays out `<root>/pods/<ns>_<name>_<uid>/c/0.log` with a link in `<root>/containers`, dated `age` seconds ago.
    func podLogs(_ root: String, uid: String, age: Double, now: Double) throws -> (dir: String, link: String) {
        let dir = "\(root)/pods/default_web-n1_\(uid)"
        try FileManager.default.createDirectory(atPath: "\(dir)/c", withIntermediateDirectories: true)
        try "line\n".write(toFile: "\(dir)/c/0.log", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: "\(root)/containers", withIntermediateDirectories: true)
        let link = "\(root)/containers/web-n1_default_c-\(uid).log"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "\(dir)/c/0.log")
        let date = Date(timeIntervalSince1970: now - age)
        for path in [dir, "\(dir)/c", "\(dir)/c/0.log"] {
            try FileManager.default.setAttributes([.modificationDate: date], ofItemAtPath: path)
        }
        return (dir, link)
    }

    @Test func removesTheLogsOfGonePodsOnceTheyAreAMinuteOld() throws {
        let root = try TempDir()
        let now = Date().timeIntervalSince1970
        let active = try podLogs(root.path, uid: "aaaa", age: 600, now: now)
        let gone = try podLogs(root.path, uid: "bbbb", age: 120, now: now)
        let recent = try podLogs(root.path, uid: "cccc", age: 5, now: now)
        try "x".write(toFile: "\(root.path)/containers/unrelated.log", atomically: true, encoding: .utf8)
        let collector = PodLogGarbageCollector(podLogsDir: "\(root.path)/pods", containerLogsDir: "\(root.path)/containers")

        let removed = collector.sweep(activeUIDs: ["aaaa"], now: now)

        #expect(removed == [gone.dir])
        #expect(!FileManager.default.fileExists(atPath: gone.dir))
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: gone.link)) == nil)
        for kept in [active, recent] {
            #expect(FileManager.default.fileExists(atPath: kept.dir))
            #expect(FileManager.default.fileExists(atPath: kept.link))
        }
        #expect(FileManager.default.fileExists(atPath: "\(root.path)/containers/unrelated.log"))

        // A minute later the recent one goes too; the active pod's logs stay however old they are.
        #expect(collector.sweep(activeUIDs: ["aaaa"], now: now + 60) == [recent.dir])
        #expect(FileManager.default.fileExists(atPath: active.dir))
    }

    @Test func leavesDirectoriesThatAreNotPodLogsAlone() throws {
        let root = try TempDir()
        try FileManager.default.createDirectory(atPath: "\(root.path)/pods/not-a-pod-dir", withIntermediateDirectories: true)
        let collector = PodLogGarbageCollector(podLogsDir: "\(root.path)/pods", containerLogsDir: "\(root.path)/containers", minAge: 0)
        #expect(collector.sweep(activeUIDs: [], now: Date().timeIntervalSince1970 + 3600).isEmpty)
        #expect(FileManager.default.fileExists(atPath: "\(root.path)/pods/not-a-pod-dir"))
    }
}
