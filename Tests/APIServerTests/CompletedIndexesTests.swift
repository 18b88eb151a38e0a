@testable import APIServer
import KubeJSON
import Testing

/// Indexed Jobs' index lists: kept as intervals whatever they name, validated on status writes as upstream's job
/// status validation does, and never walked index by index by the controller.
@Suite struct CompletedIndexesTests {
    @Test func indexesAreIntervalsWhateverTheyName() {
        // A hundred intervals of a million indexes each: a hundred ranges, not a hundred million integers.
        let text = (0..<100).map { "\($0 * 1_000_000)-\($0 * 1_000_000 + 999_999)" }.joined(separator: ",")
        let many = CompletedIndexes(text, below: Int(Int32.max))
        #expect(many.count == 100_000_000 && many.intervals == [0...99_999_999], "adjacent intervals merge")
        #expect(many.description == "0-99999999")
        #expect(many.contains(99_999_999) && !many.contains(100_000_000))
        #expect(many.firstMissing(from: 0) == 100_000_000 && many.firstMissing(from: 100_000_005) == 100_000_005)

        // The controller's reading: out of range parts cut off, malformed pieces and unordered ones tolerated.
        let odd = CompletedIndexes("9-12,x,3-1,0,-4,2-3,1-2-3,0-9223372036854775807,99999999999999999999", below: 10)
        #expect(odd.intervals == [0...9], "\(odd.intervals)")
        let sparse = CompletedIndexes("7,1,3-4", below: 10)
        #expect(sparse.description == "1,3-4,7" && sparse.count == 4)
        #expect(sparse.firstMissing(from: 3) == 5 && sparse.firstMissing(from: 2) == 2)
        #expect(sparse.adding([2, 5, 6, 12, -1], below: 10).description == "1-7")
        #expect(CompletedIndexes("0-5", below: 0).isEmpty)
    }

    @Test func theFormatIsCheckedAsUpstreamChecksIt() {
        func problem(_ text: String, _ completions: Int = 10) -> String? { CompletedIndexes.formatError(text, completions: completions) }
        #expect(problem("") == nil && problem("0-2,4,6-9") == nil)
        #expect(problem("0-999999,1000000-1999999") == "too large index: \"999999\"")
        #expect(problem("1-2-3") == "the fragment \"1-2-3\" violates the requirement that an index interval can have at most two parts separated by '-'")
        #expect(problem("a") == "cannot convert string to integer for index: \"a\"")
        #expect(problem("1,") == "cannot convert string to integer for index: \"\"")
        #expect(problem("-1") == "cannot convert string to integer for index: \"\"")
        #expect(problem("3-3") == "non-increasing order, previous: 3, current: 3")
        #expect(problem("4,2") == "non-increasing order, previous: 4, current: 2")
        #expect(problem("0-4,3-5") == "non-increasing order, previous: 4, current: 3")
        #expect(problem("99999999999999999999") == "cannot convert string to integer for index: \"99999999999999999999\"")
        #expect(CompletedIndexes.overlapError(completed: "0-2,5", failed: "3,5-6", completions: 10)
                == "failedIndexes and completedIndexes overlap at index: 5")
        #expect(CompletedIndexes.overlapError(completed: "0-2,x,7", failed: "3-6,8", completions: 10) == nil)
    }

    @Test func statusWritesOfIndexesAreValidated() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let jobs = JobControllerTests.jobs
        // Suspended, so the controller writes no indexes of its own.
        let indexed = JobControllerTests.job("idx", ["completions": 10, "parallelism": 1, "completionMode": "Indexed", "suspend": true])
        #expect(try await s.request("POST", jobs, indexed).status == 201)
        #expect(try await s.request("POST", jobs, JobControllerTests.job("plain", ["suspend": true])).status == 201)
        func patchStatus(_ name: String, _ status: JSONValue) async throws -> TestServer.Reply {
            try await s.request("PATCH", "\(jobs)/\(name)/status", ["status": status], contentType: "application/merge-patch+json")
        }

        let huge = try await patchStatus("idx", ["completedIndexes": "0-999999,1000000-1999999,2000000-2999999"])
        #expect(huge.status == 422, "\(huge.text)")
        #expect(huge.body["message"]?.string == "Job.batch \"idx\" is invalid: status.completedIndexes: Invalid value: "
                + "\"0-999999,1000000-1999999,2000000-2999999\": error parsing completedIndexes: too large index: \"999999\"", "\(huge.text)")
        let unordered = try await patchStatus("idx", ["completedIndexes": "5,2"])
        #expect(unordered.status == 422 && unordered.text.contains("non-increasing order, previous: 5, current: 2"), "\(unordered.text)")
        let fine = try await patchStatus("idx", ["completedIndexes": "0-2,4"])
        #expect(fine.status == 200 && fine.body[path: ["status", "completedIndexes"]] == "0-2,4", "\(fine.text)")

        let failed = try await patchStatus("idx", ["failedIndexes": "3"])
        #expect(failed.status == 422 && failed.body["message"]?.string?.contains(
            "status.failedIndexes: Invalid value: \"3\": cannot set non-null failedIndexes when backoffLimitPerIndex is null") == true,
                "\(failed.text)")
        let nonIndexed = try await patchStatus("plain", ["completedIndexes": "0"])
        #expect(nonIndexed.status == 422 && nonIndexed.body["message"]?.string?.contains(
            "status.completedIndexes: Invalid value: \"0\": cannot set non-empty completedIndexes when non-indexed completion mode") == true,
                "\(nonIndexed.text)")
        // A status write that leaves the indexes alone is not judged on them.
        let other = try await patchStatus("idx", ["active": 0])
        #expect(other.status == 200, "\(other.text)")
    }

    @Test func theControllerSkipsCompletedRunsInOneStep() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let jobs = JobControllerTests.jobs
        let job = JobControllerTests.job("vast", ["completions": 2_000_000_000, "parallelism": 3, "completionMode": "Indexed", "suspend": true])
        #expect(try await s.request("POST", jobs, job).status == 201)
        let marked = try await s.request("PATCH", "\(jobs)/vast/status", ["status": ["completedIndexes": "0-1999999989,1999999991"]],
                                         contentType: "application/merge-patch+json")
        #expect(marked.status == 200, "\(marked.text)")
        let resumed = try await s.request("PATCH", "\(jobs)/vast", ["spec": ["suspend": false]], contentType: "application/merge-patch+json")
        #expect(resumed.status == 200, "\(resumed.text)")
        var indexes: [String] = []
        try await eventually(timeout: 60) {
            indexes = try await JobControllerTests().pods(s, of: "vast")
                .compactMap { $0[path: ["metadata", "annotations", JobController.indexAnnotation]]?.string }.sorted()
            return indexes.count == 3
        }
        #expect(indexes == ["1999999990", "1999999992", "1999999993"])
    }
}
