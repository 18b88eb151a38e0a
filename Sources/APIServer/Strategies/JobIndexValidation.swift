import KubeAPI
/// upstream's checks of an Indexed Job's `status.completedIndexes` and `status.failedIndexes` (sorted,
/// comma-separated intervals such as "0-2,5"), as its job status validation makes them. The text is read one
/// interval at a time, never expanded into indexes: a few bytes of it can name two billion of them.
enum JobIndexValidation {
    struct IndexFormatError: Error {
        let message: String
        init(_ message: String) { self.message = message }
    }

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
    /// one before it; else the first complaint.
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
}
