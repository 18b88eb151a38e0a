import FoundationEssentials
import KubeAPI
import KubeJSON
import Testing

/// Numbers read from objects for arithmetic: clamped to the Go field's type, saturating instead of trapping.
@Suite struct GoIntegersTests {
    @Test func int32FieldsReadClampedAndFractionsAreNotIntegers() {
        let object: JSONValue = ["spec": ["a": .int(Int64.max), "b": .int(Int64.min), "c": 7, "d": .double(1.5), "e": .double(1e300),
                                          "f": .double(-1e300), "g": "3", "h": .double(4), "i": .double(.nan)]]
        #expect(object.goInt32(["spec", "a"]) == Int(Int32.max))
        #expect(object.goInt32(["spec", "b"]) == Int(Int32.min))
        #expect(object.goInt32(["spec", "c"]) == 7)
        #expect(object.goInt32(["spec", "d"]) == nil)
        #expect(object.goInt32(["spec", "e"]) == Int(Int32.max) && object.goInt32(["spec", "f"]) == Int(Int32.min))
        #expect(object.goInt32(["spec", "g"]) == nil && object.goInt32(["spec", "missing"]) == nil)
        #expect(object.goInt32(["spec", "h"]) == 4 && object.goInt64(["spec", "i"]) == nil)
        #expect(object.goInt64(["spec", "e"]) == Int64.max && object.goInt64(["spec", "a"]) == Int64.max)
        // Sums of a few clamped int32 values fit an Int: the property the controllers rely on.
        let sum = (0..<1000).map { _ in object.goInt32(["spec", "a"]) ?? 0 }.reduce(0, +)
        #expect(sum == 1000 * Int(Int32.max))
    }

    @Test func saturatingArithmetic() {
        #expect(Int64.max.addingSaturated(1) == .max && Int64.min.addingSaturated(-1) == .min && 2.addingSaturated(3) == 5)
        #expect(Int64.min.subtractingSaturated(1) == .min && Int64.max.subtractingSaturated(-1) == .max)
        #expect(Int64.max.multipliedSaturated(by: 2) == .max && Int64.max.multipliedSaturated(by: -2) == .min
                && Int64.min.multipliedSaturated(by: -1) == .max && 6.multipliedSaturated(by: 7) == 42)
        #expect([Int64.max, Int64.max].saturatedSum() == .max && [Int64.min, -1].saturatedSum() == .min)
        #expect(Int64(saturating: 1e300) == .max && Int64(saturating: -1e300) == .min && Int64(saturating: .nan) == 0)
        #expect(Int64(saturating: 9_223_372_036_854_775_808.0) == .max && Int64(saturating: -2.9) == -2)
        #expect(Int(saturating: .infinity) == .max)
    }

    @Test func durationsBeyondInt64NanosecondsAreRefusedNotTrapped() {
        #expect(GoDuration("99999999999h") == nil)
        #expect(GoDuration("2562047h")?.nanoseconds == Int64(9_223_369_200_000_000_000))
        #expect(GoDuration("1h")?.nanoseconds == 3_600_000_000_000)
        #expect(GoDuration.hours(Int64.max).nanoseconds == Int64.max && GoDuration.minutes(Int64.min).nanoseconds == Int64.min)
        #expect(GoDuration(seconds: 1e300).nanoseconds == Int64.max && GoDuration(seconds: .nan).nanoseconds == 0)
        #expect(oneDecimal(1e300) == "922337203685477580.7" && oneDecimal(-1e300) == "-922337203685477580.8")
    }

    @Test func quantitiesAreDecimalNumbersWithSuffixes() {
        #expect(Quantity.value("500m") == 0.5 && Quantity.value("1Ki") == 1024 && Quantity.value("2e3") == 2000)
        #expect(Quantity.value("nan") == nil && Quantity.value("inf") == nil && Quantity.value("0x10") == nil)
        #expect(Quantity.value("1e400") == nil && Quantity.value("9e307Ei") == nil)
        #expect(Quantity.bytes("1e30") == nil)
    }

    @Test func timestampsOutsideRFC3339sYearsAreClamped() {
        let far = RFC3339.formatNano(Date(timeIntervalSince1970: 1e300))
        #expect(far == "9999-12-31T23:59:59Z", "\(far)")
        #expect(RFC3339.formatNano(Date(timeIntervalSince1970: -.infinity)) == "1970-01-01T00:00:00Z")
    }
}
