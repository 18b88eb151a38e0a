import Testing
import Foundation
@testable import Kubelet

@Suite struct ContainerLogWriterTests {
    func write(maxSize: Int64, stdout: [Data], stderr: [Data], in dir: borrowing TempDir) async throws -> [String] {
        let out = Pipe(), err = Pipe()
        let writer = ContainerLogWriter(path: "\(dir.path)/0.log", stdoutFD: dup(out.fileHandleForReading.fileDescriptor),
                                        stderrFD: dup(err.fileHandleForReading.fileDescriptor), maxSize: maxSize, maxFiles: 3)
        try out.fileHandleForReading.close()
        try err.fileHandleForReading.close()
        for chunk in stdout { out.fileHandleForWriting.write(chunk) }
        for chunk in stderr { err.fileHandleForWriting.write(chunk) }
        try out.fileHandleForWriting.close()
        try err.fileHandleForWriting.close()
        await writer.waitUntilDrained(timeout: 5)
        return try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    @Test func rotatesBySizeKeepingMaxFiles() async throws {
        let dir = try TempDir()
        let lines = (0..<100).map { Data("line \($0) \(String(repeating: "a", count: 40))\n".utf8) }
        let files = try await write(maxSize: 2048, stdout: lines, stderr: [], in: dir)
        #expect(files.contains("0.log"))
        #expect(files.filter { $0.hasPrefix("0.log.") }.count == 2, "keeps maxFiles - 1 rotated files: \(files)")
        let live = try String(contentsOfFile: "\(dir.path)/0.log", encoding: .utf8)
        #expect(live.contains(" stdout F line 99 "))
        #expect(live.utf8.count <= 2048)
    }

    @Test func writesCRILinesAndMarksPartialOnes() async throws {
        let dir = try TempDir()
        let long = Data(repeating: 0x62, count: ContainerLogWriter.maxLineLength + 10) + Data("\n".utf8)
        _ = try await write(maxSize: 1 << 20, stdout: [Data("hello\nno newline at end".utf8)], stderr: [long], in: dir)
        let text = try String(contentsOfFile: "\(dir.path)/0.log", encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.allSatisfy { $0.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (stdout|stderr) [FP] "#, options: .regularExpression) != nil })
        #expect(lines.contains { $0.hasSuffix(" stdout F hello") })
        #expect(lines.contains { $0.hasSuffix(" stdout F no newline at end") })
        #expect(lines.contains { $0.contains(" stderr P bbbb") })
        #expect(lines.contains { $0.hasSuffix(" stderr F bbbbbbbbbb") })
    }
}
