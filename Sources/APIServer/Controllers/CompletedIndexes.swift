/// An Indexed Job's `status.completedIndexes` (or `failedIndexes`): sorted, comma-separated intervals ("0-2,5").
/// Kept as intervals, never as single indexes: a few bytes of text can name two billion of them.
struct CompletedIndexes: CustomStringConvertible, Equatable {
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

    // MARK: upstream's status validation

    /// One interval of the text as upstream's parseIndexInterval reads it, or its complaint.
    private static func interval(_ piece: Substring, completions: Int) -> Result<ClosedRange<Int>, IndexFormatError> {
        let limits = piece.split(separator: "-", omittingEmptySubsequences: false)
        if limits.count > 2 {
            return .failure(IndexFormatError("the fragment \(GoFormat.quoted(String(piece))) violates the requirement that an index interval "
                                             + "can have at most two parts separated by '-'"))
        }
        func number(_ text: Substring) -> Result<Int, IndexFormatError> {
            guard let n = Int(text) else {
                return .failure(IndexFormatError("cannot convert string to integer for index: \(GoFormat.quoted(String(text)))"))
            }
            guard n < completions else { return .failure(IndexFormatError("too large index: \(GoFormat.quoted(String(text)))")) }
            return .success(n)
        }
        let low: Int
        switch number(limits[0]) {
        case .failure(let error): return .failure(error)
        case .success(let n): low = n
        }
        guard limits.count == 2 else { return .success(low...low) }
        switch number(limits[1]) {
        case .failure(let error): return .failure(error)
        case .success(let high):
            guard low < high else { return .failure(IndexFormatError("non-increasing order, previous: \(low), current: \(high)")) }
            return .success(low...high)
        }
    }

    /// upstream's validateIndexesFormat: nil when every interval is well-formed, below `completions` and after the
    /// one before it; else the first complaint. Reads the text once, holding one interval at a time.
    static func formatError(_ text: String, completions: Int) -> String? {
        guard !text.isEmpty else { return nil }
        var last: Int?
        for piece in text.split(separator: ",", omittingEmptySubsequences: false) {
            switch interval(piece, completions: completions) {
            case .failure(let error): return error.message
            case .success(let range):
                if let last, last >= range.lowerBound {
                    return "non-increasing order, previous: \(last), current: \(range.lowerBound)"
                }
                last = range.upperBound
            }
        }
        return nil
    }

    /// upstream's validateFailedIndexesNotOverlapCompleted: the first index in both texts, walking both in order
    /// (intervals that do not parse are skipped: the format check reports them).
    static func overlapError(completed: String, failed: String, completions: Int) -> String? {
        guard !completed.isEmpty, !failed.isEmpty else { return nil }
        let c = completed.split(separator: ",", omittingEmptySubsequences: false)
        let f = failed.split(separator: ",", omittingEmptySubsequences: false)
        var ci = 0, fi = 0
        while ci < c.count, fi < f.count {
            guard case .success(let cr) = interval(c[ci], completions: completions) else { ci += 1; continue }
            guard case .success(let fr) = interval(f[fi], completions: completions) else { fi += 1; continue }
            if cr.lowerBound <= fr.upperBound, fr.lowerBound <= cr.upperBound {
                return "failedIndexes and completedIndexes overlap at index: \(max(cr.lowerBound, fr.lowerBound))"
            }
            if cr.lowerBound <= fr.lowerBound { ci += 1 } else { fi += 1 }
        }
        return nil
    }

    struct IndexFormatError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }
}
