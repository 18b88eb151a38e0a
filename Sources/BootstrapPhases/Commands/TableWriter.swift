/// Aligns columns like Go's tabwriter with kubeadm's settings (three spaces of padding).
enum TableWriter {
    static func render(_ rows: [[String]], padding: Int = 3) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for row in rows {
            for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) }
        }
        var out = ""
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + padding) }
            }
            out += line + "\n"
        }
        return out
    }
}
