import KubeStreams
import Testing

/// WebSocket and SPDY framing as kubectl's client sends and reads it.
@Suite struct FramingTests {
    @Test func webSocketAcceptKeyIsRFC6455s() {
        #expect(WebSocket.accept(key: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func maskedFramesOfEverySizeReadBackInPieces() throws {
        for size in [0, 5, 125, 126, 200, 65535, 65536, 100_000] {
            let payload = (0..<size).map { UInt8($0 & 0xFF) }
            let wire = WebSocket.encode(WebSocket.Frame(opcode: .binary, payload: payload), mask: [1, 2, 3, 4])
            var reader = WebSocket.FrameReader()
            var frames: [WebSocket.Frame] = []
            var offset = 0
            while offset < wire.count {
                let end = min(wire.count, offset + 7)
                reader.feed(wire[offset..<end])
                offset = end
                while let frame = try reader.next() { frames.append(frame) }
            }
            #expect(frames == [WebSocket.Frame(opcode: .binary, payload: payload)], "size \(size)")
        }
    }

    @Test func fragmentedMessagesAreJoinedAndPingsSurface() throws {
        var reader = WebSocket.MessageReader()
        reader.feed(WebSocket.encode(WebSocket.Frame(fin: false, opcode: .binary, payload: [0, 1]), mask: [9, 9, 9, 9]))
        reader.feed(WebSocket.encode(WebSocket.Frame(opcode: .ping, payload: [7])))
        reader.feed(WebSocket.encode(WebSocket.Frame(opcode: .continuation, payload: [2]), mask: [5, 6, 7, 8]))
        reader.feed(WebSocket.encode(WebSocket.Frame(opcode: .close, payload: [3, 232])))
        #expect(try reader.next() == .ping([7]))
        #expect(try reader.next() == .message(.binary, [0, 1, 2]))
        #expect(try reader.next() == .close)
        #expect(try reader.next() == nil)
    }

    @Test func badOpcodesAndHugeFramesAreRefused() {
        var reader = WebSocket.FrameReader()
        reader.feed([0x83, 0x00])
        #expect(throws: WebSocket.ProtocolError.self) { try reader.next() }
        var huge = WebSocket.FrameReader()
        huge.feed([0x82, 0x7F, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: WebSocket.ProtocolError.self) { try huge.next() }
    }

    @Test func spdyFramesRoundTrip() throws {
        let frames: [SPDYFrame] = [
            .synStream(streamID: 1, flags: 0, headerBlock: [1, 2, 3]),
            .synReply(streamID: 1, flags: 0, headerBlock: [4]),
            .data(streamID: 3, flags: SPDYFrame.flagFin, payload: Array("hello".utf8)),
            .rstStream(streamID: 5, status: 5),
            .ping(id: 7),
            .goAway(lastStreamID: 9, status: 0),
            .windowUpdate(streamID: 1, delta: 100),
        ]
        var reader = SPDYFrame.Reader()
        for frame in frames { reader.feed(frame.encoded) }
        var read: [SPDYFrame] = []
        while let frame = try reader.next() { read.append(frame) }
        #expect(read == frames)
    }

    @Test func headerBlocksCompressAcrossFramesWithTheDictionary() throws {
        let deflater = SPDYHeaderDeflater()
        let inflater = SPDYHeaderInflater()
        let blocks: [[(String, String)]] = [
            [("streamType", "error"), ("port", "8080"), ("requestID", "0")],
            [("streamtype", "data"), ("port", "8080"), ("requestid", "0")],
            [],
        ]
        for headers in blocks {
            let compressed = try deflater.deflate(SPDYHeaderBlock.encode(headers))
            let decoded = try SPDYHeaderBlock.decode(try inflater.inflate(compressed))
            #expect(decoded.map { $0.0 } == headers.map { $0.0.lowercased() })
            #expect(decoded.map { $0.1 } == headers.map { $0.1 })
        }
        // The draft's dictionary: 1423 bytes, as every SPDY/3 implementation primes zlib with.
        #expect(SPDYHeaderBlock.dictionary.count == 1423)
        #expect(throws: (any Error).self) { try SPDYHeaderInflater().inflate([0x78, 0xBB, 1, 2, 3, 4, 5]) }
        #expect(throws: (any Error).self) { try SPDYHeaderBlock.decode([0, 0, 0, 1, 0, 0, 0, 9]) }
    }

    @Test func remoteCommandStatusIsUpstreamsShape() throws {
        #expect(String(decoding: RemoteCommand.status(command: ["ls"], exitCode: 0), as: UTF8.self) == #"{"metadata":{},"status":"Success"}"#)
        let failed = String(decoding: RemoteCommand.status(command: ["false"], exitCode: 1), as: UTF8.self)
        #expect(failed.contains(#""reason":"NonZeroExitCode""#) && failed.contains(#""causes":[{"message":"1","reason":"ExitCode"}]"#), "\(failed)")
        #expect(RemoteCommand.terminalSize(Array(#"{"Width":120,"Height":40}"#.utf8))! == (120, 40))
        #expect(RemoteCommand.terminalSize(Array(#"{"Width":-1,"Height":40}"#.utf8)) == nil)
        #expect(RemoteCommand.negotiate(["v5.channel.k8s.io", "v4.channel.k8s.io"]) == "v5.channel.k8s.io")
        #expect(RemoteCommand.negotiate(["v3.channel.k8s.io"]) == nil)
    }
}
