@testable import CRIClient
import Testing

@Suite struct ProtoWireTests {
    @Test func messagesRoundTripWithNestedMapsRepeatedAndEnums() throws {
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = "web"
        config.metadata.uid = "u-1"
        config.metadata.attempt = 3
        config.hostname = "web"
        config.labels = ["b": "2", "a": "1"]
        var mapping = Runtime_V1_PortMapping()
        mapping.protocol = .udp
        mapping.containerPort = 53
        mapping.hostPort = -1
        config.portMappings = [mapping]
        config.linux.securityContext.namespaceOptions.network = .node
        config.linux.securityContext.runAsUser.value = -5
        config.linux.securityContext.supplementalGroups = [1, 2, 300]
        let decoded = try Runtime_V1_PodSandboxConfig(serializedBytes: config.serializedBytes())
        #expect(decoded == config)
        #expect(decoded.portMappings.first?.hostPort == -1)
        #expect(decoded.linux.securityContext.runAsUser.value == -5)
        #expect(decoded.hasLinux && !decoded.hasDnsConfig)
    }

    @Test func knownEncodingMatchesProtoc() {
        // protoc --encode=runtime.v1.VersionRequest: version: "v1" → 0a 02 76 31
        var request = Runtime_V1_VersionRequest()
        request.version = "v1"
        #expect(request.serializedBytes() == [0x0a, 0x02, 0x76, 0x31])
        // Empty proto3 fields are not written; an unset sub-message neither.
        #expect(Runtime_V1_PodSandboxConfig().serializedBytes().isEmpty)
        // Packed repeated int64: field 4 of LinuxSandboxSecurityContext… checked through ImageSpec-free message:
        var r = Runtime_V1_PortForwardRequest()
        r.port = [80, 443]
        #expect(r.serializedBytes() == [0x12, 0x03, 0x50, 0xbb, 0x03])
    }

    @Test func unknownFieldsAreSkippedAndUnpackedRepeatedAccepted() throws {
        // field 15 varint 7, field 16 fixed64, field 17 fixed32, then port (2) unpacked twice, then version-like string 1.
        let bytes: [UInt8] = [0x78, 0x07, 0x81, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x8d, 0x01, 1, 2, 3, 4,
                              0x10, 0x50, 0x10, 0x51, 0x0a, 0x01, 0x78]
        let decoded = try Runtime_V1_PortForwardRequest(serializedBytes: bytes)
        #expect(decoded.port == [80, 81])
        #expect(decoded.podSandboxID == "x")
    }

    @Test func malformedInputIsAnErrorNotATrap() {
        let cases: [[UInt8]] = [
            [0x0a, 0x05, 0x61],                 // length past the end
            [0x08, 0xff, 0xff],                 // varint cut short
            [0x08] + Array(repeating: 0xff, count: 11) + [0x01], // varint too long
            [0x0b],                             // start group
            [0x0f],                             // wire type 7
            [0x00, 0x01],                       // field 0
        ]
        for bytes in cases {
            #expect(throws: ProtoDecodingError.self) { try Runtime_V1_PodSandboxStatusResponse(serializedBytes: bytes) }
        }
    }

    @Test func unknownEnumValuesSurvive() throws {
        var status = Runtime_V1_ContainerStatus()
        status.state = .UNRECOGNIZED(9)
        let decoded = try Runtime_V1_ContainerStatus(serializedBytes: status.serializedBytes())
        #expect(decoded.state == .UNRECOGNIZED(9))
        #expect(decoded.state.rawValue == 9)
    }
}
