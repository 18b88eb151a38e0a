/// An Indexed Job's `status.completedIndexes` (or `failedIndexes`): sorted, comma-separated intervals ("0-2,5").
/// Kept as intervals, never as single indexes: a few bytes of text can name two billion of them. (The apiserver
/// validates the text on status writes; the controller only reads and extends it.)
struct CompletedIndexes: CustomStringConvertible, Equatable, Sendable {
    /// Sorted, disjoint and not adjacent (adjacent ones are merged).
    private(set) var intervals: [ClosedRange<Int>] = []

    /// The controller's reading of the text: indexes outside 0..<limit and malformed pieces are left out (the text may
    /// be an older binary's or a bad edit, and must not stop the Job), overlapping or unordered intervals merged.
    init(_ text: String, below limit: Int) {
        guard limit > 0 else { return }
        var pieces: [ClosedRange<Int>] = []
        for piece in text.split(separator: ",") {
            let bounds = piece.split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count <= 2, let low = Int(bounds[0]), let high = bounds.count == 2 ? Int(bounds[1]) : low,
                  low <= high, high >= 0, low < limit else { continue }
            pieces.append(max(low, 0)...min(high, limit - 1))
        }
        intervals = Self.merged(pieces)
    }

    private init(intervals: [ClosedRange<Int>]) { self.intervals = intervals }

    /// Sorted, with overlapping and adjacent intervals joined.
    private static func merged(_ pieces: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var out: [ClosedRange<Int>] = []
        for piece in pieces.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            // Bounds are below the limit (an int32), so upperBound + 1 cannot overflow.
            if let last = out.last, piece.lowerBound <= last.upperBound + 1 {
                out[out.count - 1] = last.lowerBound...max(last.upperBound, piece.upperBound)
            } else {
                out.append(piece)
            }
        }
        return out
    }

    /// How many indexes: at most the limit, since the intervals are disjoint and within it.
    var count: Int { intervals.reduce(0) { $0 + $1.count } }
    var isEmpty: Bool { intervals.isEmpty }

    /// The position of the first interval whose upper bound is at least `index`.
    private func firstInterval(reaching index: Int) -> Int {
        var low = 0, high = intervals.count
        while low < high {
            let mid = low + (high - low) / 2
            if intervals[mid].upperBound < index { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func contains(_ index: Int) -> Bool {
        let i = firstInterval(reaching: index)
        return i < intervals.count && intervals[i].contains(index)
    }

    /// The smallest index at or after `index` that is not in the set: one look-up, whatever the run of completed
    /// indexes it skips.
    func firstMissing(from index: Int) -> Int {
        let i = firstInterval(reaching: index)
        guard i < intervals.count, intervals[i].contains(index) else { return index }
        return intervals[i].upperBound + 1
    }

    /// With `more` added, those outside 0..<limit left out (as upstream ignores out-of-range annotations).
    func adding(_ more: [Int], below limit: Int) -> CompletedIndexes {
        let added = more.filter { $0 >= 0 && $0 < limit }.map { $0...$0 }
        return CompletedIndexes(intervals: Self.merged(intervals + added))
    }

    var description: String {
        intervals.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            .joined(separator: ",")
    }
}
