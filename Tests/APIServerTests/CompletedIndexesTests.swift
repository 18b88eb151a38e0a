@testable import APIServer
import KubeJSON
import Testing

/// Indexed Jobs' index lists, validated on status writes as upstream's job status validation does, one interval at a
/// time whatever they name. (The job controller's reading of them: ControllerManagerTests' JobIndexTests.)
@Suite struct CompletedIndexesTests {
    @Test func theFormatIsCheckedAsUpstreamChecksIt() {
        func problem(_ text: String, _ completions: Int = 10) -> String? { JobIndexValidation.formatError(text, completions: completions) }
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
        #expect(JobIndexValidation.overlapError(completed: "0-2,5", failed: "3,5-6", completions: 10)
                == "failedIndexes and completedIndexes overlap at index: 5")
        #expect(JobIndexValidation.overlapError(completed: "0-2,x,7", failed: "3-6,8", completions: 10) == nil)
    }

    @Test func statusWritesOfIndexesAreValidated() async throws {
        let s = try await TestServer.start()
        defer { Task { await s.stop() } }
        let jobs = WorkloadTests.jobs
        let indexed = WorkloadTests.job("idx", ["completions": 10, "parallelism": 1, "completionMode": "Indexed", "suspend": true])
        #expect(try await s.request("POST", jobs, indexed).status == 201)
        #expect(try await s.request("POST", jobs, WorkloadTests.job("plain", ["suspend": true])).status == 201)
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
}
