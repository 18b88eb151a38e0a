import KubeAPI
import Testing

/// Quantities scaled in integers: quota sums and the downward API must not drift by a millicore.
@Suite struct QuantityScalingTests {
    @Test func everyMillicoreCountIsExact() {
        for m in 1...5000 {
            #expect(Quantity.scaled("\(m)m", decimals: 3) == Int64(m))
        }
        #expect(QuotaQuantity("9m")?.millis == 9 && QuotaQuantity("0.3")?.millis == 300 && QuotaQuantity(" 2 ")?.millis == 2000)
        #expect(QuotaQuantity("1Gi")?.millis == 1_073_741_824_000 && QuotaQuantity("1Gi")?.binary == true)
        #expect(QuotaQuantity("9Ei")?.millis == Int64.max / 2)
        #expect(QuotaQuantity("lots") == nil)
    }
}
