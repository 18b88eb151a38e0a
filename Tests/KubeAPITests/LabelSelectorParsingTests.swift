import KubeAPI
import Testing

/// The string form of a label selector (`?labelSelector=`, kubectl's `-l`), as upstream's labels.Parse reads it, with
/// the messages the apiserver answers a bad one with.
@Suite struct LabelSelectorParsingTests {
    @Test func everyOperatorMatchesAsUpstreams() throws {
        let labels = ["app": "web", "tier": "front"]
        func matches(_ text: String) throws -> Bool { try Labels.Selector(parsing: text).matches(labels) }
        #expect(try matches("app=web") && matches("app==web") && matches("app!=db") && matches("missing!=x"))
        #expect(try matches("tier in (front, back)") && matches("tier notin (back)") && matches("missing notin (x)"))
        #expect(try matches("app") && matches("!missing") && matches("app=web,tier in (front)") && matches(""))
        #expect(try !matches("app=db") && !matches("!app") && !matches("missing") && !matches("missing in (x)"))
        #expect(try Labels.Selector(parsing: " app = web ").requirements == [.equals("app", "web")])
    }

    @Test func badSelectorsAreRefusedWithTheApiserversMessages() {
        func message(_ text: String) -> String? {
            do {
                _ = try Labels.Selector(parsing: text)
                return nil
            } catch {
                return error.message
            }
        }
        #expect(message("tier in front") == "unable to parse requirement: found 'front', expected: '('")
        #expect(message("tier gt (1)") == "unable to parse requirement: found 'gt (1)', expected: in, notin, =, ==, !=, gt, lt")
        #expect(message("-bad=x")?.hasPrefix("unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of") == true)
        #expect(message("app=bad value")?.hasPrefix("unable to parse requirement: values[0][key]: Invalid value: \"bad value\"") == true)
    }
}
