import Foundation
import Testing
@testable import PKI

/// CSRs as the certificates API reads them (Go's PEM rules, upstream's messages) and as the local signer signs them.
@Suite struct CertificateSigningRequestParsingTests {
    @Test func requestsParseWithTheirSubjectAndNames() throws {
        let pem = try CertificateIssuer.certificateRequest(commonName: "system:node:n1", organizations: ["system:nodes"],
                                                           altNames: AltNames(dnsNames: ["n1"], ipAddresses: [IPAddress("10.0.0.1")].compactMap { $0 }),
                                                           key: try PrivateKey.generate(.ecdsaP256))
        // Text around the block is skipped, as Go's pem.Decode skips it.
        let parsed = try ParsedCertificateRequest(pem: Array(("leading text\n" + pem + "trailing").utf8))
        #expect(parsed.commonName == "system:node:n1")
        #expect(parsed.organizations == ["system:nodes"])
        #expect(parsed.dnsNames == ["n1"])
        #expect(parsed.ipAddresses.map(\.description) == ["10.0.0.1"])
        #expect(parsed.emailAddresses.isEmpty && parsed.uris.isEmpty)
    }

    @Test func badRequestsAreRefusedWithUpstreamsMessages() throws {
        func message(_ text: String) -> String? {
            do { _ = try ParsedCertificateRequest(pem: Array(text.utf8)); return nil } catch { return error.message }
        }
        #expect(message("") == "PEM block type must be CERTIFICATE REQUEST")
        #expect(message("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") == "PEM block type must be CERTIFICATE REQUEST")
        #expect(message("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n") == "x509: malformed certificate request")
        // A request whose signature no longer matches its content.
        let pem = try CertificateIssuer.certificateRequest(commonName: "alice", key: try PrivateKey.generate(.ecdsaP256))
        let block = try #require(PEMBlocks.first(Array(pem.utf8)))
        var der = block.bytes
        let index = try #require(der.indices.dropLast(80).last)
        der[index] ^= 0x01
        let tampered = "-----BEGIN CERTIFICATE REQUEST-----\n" + Data(der).base64EncodedString() + "\n-----END CERTIFICATE REQUEST-----\n"
        let problem = message(tampered)
        #expect(problem == "x509: ECDSA verification failure" || problem == "x509: malformed certificate request")
    }

    @Test func pemBlocksFollowGosDecoder() {
        let text = "x\n-----BEGIN A-----\nQUJD\n-----END A-----\n-----BEGIN B-----\nProc-Type: 4,ENCRYPTED\n\nQUJD\n-----END B-----\n-----BEGIN C-----\n!!\n-----END C-----\n"
        let blocks = PEMBlocks.decode(Array(text.utf8))
        #expect(blocks.map(\.type) == ["A", "B"], "a block that does not decode is skipped")
        #expect(blocks.map(\.hasHeaders) == [false, true])
        #expect(blocks.first?.bytes == Array("ABC".utf8))
    }

    @Test func usagesBecomeExtensionsAndUnknownOnesAreRefused() throws {
        let (keyUsage, extended) = try KeyUsages.extensions(["server auth", "key encipherment", "client auth", "digital signature", "any"])
        #expect(keyUsage?.digitalSignature == true && keyUsage?.keyEncipherment == true && keyUsage?.keyCertSign == false)
        #expect(extended.map(\.description) == ["anyKeyUsage", "serverAuth", "clientAuth"])
        #expect(throws: PKIError("unrecognized usage values: [\"flying\"]")) { try KeyUsages.extensions(["client auth", "flying"]) }
    }
}
