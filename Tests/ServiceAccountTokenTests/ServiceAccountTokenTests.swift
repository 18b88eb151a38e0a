import Crypto
import _CryptoExtras
import Foundation
import KubeJSON
import ServiceAccountToken
import Testing

@Suite struct ServiceAccountTokenTests {
    static func rsaPEM() throws -> String { try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation }
    static let ecPEM = P256.Signing.PrivateKey().pemRepresentation

    static let issuer = "https://kubernetes.default.svc.cluster.local"

    static func claims(now: Int64, audiences: [String] = [issuer], expiresIn: Int64 = 3600) -> ServiceAccountClaims {
        ServiceAccountClaims.bound(issuer: issuer, audiences: audiences, namespace: "dev",
                                   serviceAccount: .init(name: "builder", uid: "uid-1"), now: now, expirationSeconds: expiresIn, id: "jti-1")
    }

    static func decodeSegment(_ token: String, _ index: Int) throws -> JSONValue {
        let part = token.split(separator: ".")[index]
        return try JSONParser.parse(try #require(Base64.urlDecode(part)))
    }

    @Test(arguments: ["RS256", "ES256"])
    func signedTokensVerifyWithTheKeyIDUpstreamComputes(algorithm: String) throws {
        let pem = algorithm == "RS256" ? try Self.rsaPEM() : Self.ecPEM
        let key = try SigningKey(pem: pem, source: "sa.key")
        #expect(key.algorithm == algorithm)
        let now = Int64(Date().timeIntervalSince1970)
        let token = try key.sign(claims: Self.claims(now: now).json)
        let header = try Self.decodeSegment(token, 0)
        #expect(header["alg"]?.string == algorithm)
        // kid: unpadded base64url of SHA-256 over the public key's PKIX DER (what `openssl pkey -pubout -outform DER` writes).
        #expect(header["kid"]?.string == key.publicKey.keyID && key.publicKey.keyID.count == 43)
        let validator = TokenValidator(keys: [key.publicKey], issuers: [Self.issuer], audiences: [Self.issuer])
        #expect(validator.validate(token, now: now) == .valid(Self.claims(now: now)))
        let payload = try Self.decodeSegment(token, 1)
        #expect(payload["sub"]?.string == "system:serviceaccount:dev:builder")
        #expect(payload[path: ["kubernetes.io", "serviceaccount", "uid"]]?.string == "uid-1")
        #expect(payload["exp"]?.int == now + 3600 && payload["nbf"]?.int == now && payload["jti"]?.string == "jti-1")
    }

    @Test func tamperingExpiryAudienceAndStrangersAreTold() throws {
        let key = try SigningKey(pem: Self.ecPEM, source: "sa.key")
        let now: Int64 = 1_800_000_000
        let validator = TokenValidator(keys: [key.publicKey], issuers: [Self.issuer], audiences: [Self.issuer])
        let token = try key.sign(claims: Self.claims(now: now).json)
        // Another claim set under the same signature.
        var forged = Self.claims(now: now)
        forged.serviceAccount.name = "admin"
        let parts = token.split(separator: ".")
        let tampered = "\(parts[0]).\(Base64.urlEncode(JSONWriter.write(forged.json))).\(parts[2])"
        #expect(validator.validate(tampered, now: now) == .invalid("invalid signature"))
        // Expired (beyond a minute of leeway), and not yet valid.
        #expect(validator.validate(token, now: now + 3600 + 30) == .valid(Self.claims(now: now)))
        #expect(validator.validate(token, now: now + 3600 + 61) == .invalid("service account token has expired"))
        #expect(validator.validate(token, now: now - 120) == .invalid("service account token is not valid yet"))
        // Meant for someone else.
        let vault = try key.sign(claims: Self.claims(now: now, audiences: ["vault"]).json)
        #expect(validator.validate(vault, now: now)
            == .invalid(#"token audiences ["vault"] is invalid for the target audiences ["https://kubernetes.default.svc.cluster.local"]"#))
        // Another issuer's JWT and non-JWTs belong to other authenticators.
        var foreign = Self.claims(now: now)
        foreign.issuer = "https://accounts.example.com"
        #expect(validator.validate(try key.sign(claims: foreign.json), now: now) == .notServiceAccountToken)
        #expect(validator.validate("31ada4fd-adec-460c-809a-9e56ceb75269", now: now) == .notServiceAccountToken)
        #expect(validator.validate("a.b.c", now: now) == .notServiceAccountToken)
        // Signed by a key this cluster does not trust.
        let stranger = try SigningKey(pem: P256.Signing.PrivateKey().pemRepresentation, source: "other.key")
        #expect(validator.validate(try stranger.sign(claims: Self.claims(now: now).json), now: now) == .invalid("invalid signature"))
    }

    @Test func legacySecretTokensHaveNoExpiryOrAudience() throws {
        let key = try SigningKey(pem: try Self.rsaPEM(), source: "sa.key")
        let claims = ServiceAccountClaims.legacy(namespace: "dev", serviceAccount: .init(name: "builder", uid: "uid-1"), secretName: "builder-token")
        let token = try key.sign(claims: claims.json)
        let payload = try Self.decodeSegment(token, 1)
        #expect(payload["iss"]?.string == "kubernetes/serviceaccount")
        #expect(payload["kubernetes.io/serviceaccount/secret.name"]?.string == "builder-token")
        #expect(payload["exp"] == nil && payload["aud"] == nil)
        let validator = TokenValidator(keys: [key.publicKey], issuers: [Self.issuer], audiences: [Self.issuer])
        #expect(validator.validate(token, now: 4_000_000_000) == .valid(claims))
    }

    @Test func keyFilesHoldPublicAndPrivateKeysAndBadOnesAreNamed() throws {
        let rsa = try SigningKey(pem: try Self.rsaPEM(), source: "sa.key")
        let ec = try SigningKey(pem: Self.ecPEM, source: "ec.key")
        let rsaPublic = try _RSA.Signing.PrivateKey(keySize: .bits2048).publicKey.pemRepresentation
        // Two public keys and a private key in one file, as --service-account-key-file allows.
        let file = rsaPublic + "\n" + P256.Signing.PrivateKey().publicKey.pemRepresentation + "\n" + Self.ecPEM + "\n"
        let keys = try VerificationKey.keys(pem: file, source: "keys.pem")
        #expect(keys.map(\.algorithm) == ["RS256", "ES256", "ES256"])
        #expect(keys[2].keyID == ec.publicKey.keyID)
        #expect(rsa.publicKey.jwk["kty"]?.string == "RSA" && rsa.publicKey.jwk["e"]?.string == "AQAB")
        #expect(rsa.publicKey.jwk["n"]?.string.map { Base64.urlDecode($0)?.count } == 256)
        #expect(ec.publicKey.jwk["crv"]?.string == "P-256" && ec.publicKey.jwk["x"]?.string?.count == 43)
        #expect(throws: TokenKeyError.self) { try VerificationKey.keys(pem: "not a key", source: "keys.pem") }
        do {
            _ = try SigningKey(pem: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", source: "/etc/kubernetes/pki/sa.key")
            Issue.record("a certificate is not a signing key")
        } catch {
            #expect(error.description.hasPrefix("/etc/kubernetes/pki/sa.key: not a PEM private key"))
        }
    }

    @Test func base64URLRoundTrips() {
        for n in 0..<20 {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 250) }
            let text = Base64.urlEncode(bytes)
            #expect(!text.contains("=") && !text.contains("+") && !text.contains("/"))
            #expect(Base64.urlDecode(text) == bytes)
        }
        #expect(Base64.urlDecode("a") == nil)
        #expect(Base64.urlDecode("ab+c") == nil)
    }
}
