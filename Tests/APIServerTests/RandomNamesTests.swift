import KubeAPI
@testable import APIServer
import Testing

@Suite struct RandomNamesTests {
    /// Version 4, RFC 4122 variant, lower-case hex in 8-4-4-4-12 groups, and not the same twice.
    @Test func uuidsAreVersion4InTheCanonicalForm() {
        var seen = Set<String>()
        for _ in 0..<2000 {
            let uuid = RandomNames.uuid()
            let groups = uuid.split(separator: "-", omittingEmptySubsequences: false)
            #expect(groups.map(\.count) == [8, 4, 4, 4, 12], "\(uuid)")
            #expect(uuid.allSatisfy { "0123456789abcdef-".contains($0) }, "\(uuid)")
            #expect(groups[2].first == "4")
            #expect(groups[3].first.map { "89ab".contains($0) } == true, "\(uuid)")
            seen.insert(uuid)
        }
        #expect(seen.count == 2000)
    }
}
