import ControllerRuntime
@testable import KubeControllerManager
import KubeClient
import KubeJSON
import Testing

/// The job controller's reading of an Indexed Job's index lists: intervals, never single indexes (moved from the
/// apiserver's tests when its in-process copy of the controller went; the apiserver's validation of the text stays
/// there).
@Suite struct JobIndexTests {
    @Test func indexListsAreReadAsIntervals() {
        let many = CompletedIndexes((0..<100).map { "\($0 * 1_000_000)-\($0 * 1_000_000 + 999_999)" }.joined(separator: ","), below: Int(Int32.max))
        #expect(many.contains(99_999_999) && !many.contains(100_000_000))
        #expect(many.firstMissing(from: 100_000_005) == 100_000_005)
        let sparse = CompletedIndexes("7,1,3-4", below: 10)
        #expect(sparse.count == 4 && sparse.firstMissing(from: 2) == 2)
        #expect(CompletedIndexes("0-5", below: 0).isEmpty)
    }

    @Test func theControllerSkipsCompletedRunsInOneStep() async throws {
        var job = JobControllerTests.job("vast", ["completions": 2_000_000_000, "parallelism": 3, "completionMode": "Indexed"])
        job["status"] = ["completedIndexes": "0-1999999989,1999999991"]
        let h = ControllerHarness(component: JobController.component, objects: [(.jobs, job)])
        let task = h.run(JobController(context: h.context))
        var indexes: [String] = []
        try await eventually("three pods") {
            indexes = h.objects(.pods).filter { $0.controllerOwner?.name == "vast" }
                .compactMap { $0[path: ["metadata", "annotations", JobController.indexAnnotation]]?.string }.sorted()
            return indexes.count == 3
        }
        #expect(indexes == ["1999999990", "1999999992", "1999999993"])
        await h.stop(task)
    }
}
