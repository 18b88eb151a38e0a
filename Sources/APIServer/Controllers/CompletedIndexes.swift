/// An Indexed Job's `status.completedIndexes`: a set of indexes written as sorted, comma-separated ranges ("0-2,5").
struct CompletedIndexes: CustomStringConvertible, Equatable {
    private(set) var indexes: Set<Int>

    /// Malformed pieces are skipped: the text is the controller's own, and a bad edit must not stop the Job.
    init(_ text: String) {
        var indexes = Set<Int>()
        for piece in text.split(separator: ",") {
            let bounds = piece.split(separator: "-", maxSplits: 1).compactMap { Int($0.trimmingCharacters()) }
            if bounds.count == 2, bounds[0] <= bounds[1], bounds[1] - bounds[0] < 1_000_000 {
                indexes.formUnion(bounds[0]...bounds[1])
            } else if bounds.count == 1, !piece.contains("-") {
                indexes.insert(bounds[0])
            }
        }
        self.indexes = indexes
    }

    var count: Int { indexes.count }
    var isEmpty: Bool { indexes.isEmpty }
    func contains(_ index: Int) -> Bool { indexes.contains(index) }

    /// With `more` added, those outside 0..<limit left out (as upstream ignores out-of-range annotations).
    func adding(_ more: [Int], below limit: Int) -> CompletedIndexes {
        var copy = self
        copy.indexes.formUnion(more.filter { $0 >= 0 && $0 < limit })
        return copy
    }

    var description: String {
        var parts: [String] = []
        var start: Int?
        var previous = 0
        for index in indexes.sorted() {
            if start != nil, index == previous + 1 {
                previous = index
                continue
            }
            if let s = start { parts.append(s == previous ? "\(s)" : "\(s)-\(previous)") }
            start = index
            previous = index
        }
        if let s = start { parts.append(s == previous ? "\(s)" : "\(s)-\(previous)") }
        return parts.joined(separator: ",")
    }
}
