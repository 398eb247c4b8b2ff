import Foundation
import NIOCore
import TesseraCatalog
import Testing

@testable import TesseraDelivery

@Suite struct SigningTests {
    /// The test vector of the Standard Webhooks specification's reference libraries.
    @Test func matchesTheStandardWebhooksVector() throws {
        let secret = try WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signer = WebhookSigner(secrets: [secret])
        let signature = signer.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8)
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        // The tests' independent HMAC agrees on the same vector.
        #expect(
            HMACReference.signature(
                secret: secret.bytes,
                id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
                timestamp: "1614265330",
                body: Array(#"{"test": 2432232314}"#.utf8)
            ) == signature
        )
    }

    @Test func rotationSendsOneSignaturePerSecret() throws {
        let old = WebhookSecret.generate()
        let new = WebhookSecret.generate()
        let body = Array("payload".utf8)
        let both = WebhookSigner(secrets: [new, old]).signature(id: "e1", timestamp: 1000, body: body)
        let parts = both.split(separator: " ")
        #expect(parts.count == 2)
        #expect(WebhookSigner(secrets: [old]).verify(header: both, id: "e1", timestamp: 1000, body: body))
        #expect(WebhookSigner(secrets: [new]).verify(header: both, id: "e1", timestamp: 1000, body: body))
        #expect(
            !WebhookSigner(secrets: [WebhookSecret.generate()]).verify(
                header: both,
                id: "e1",
                timestamp: 1000,
                body: body
            )
        )
        #expect(!WebhookSigner(secrets: [old]).verify(header: both, id: "e2", timestamp: 1000, body: body))
        #expect(!WebhookSigner(secrets: [old]).verify(header: both, id: "e1", timestamp: 1001, body: body))
    }

    @Test func secretsRoundTripAndAreValidated() throws {
        let secret = WebhookSecret.generate()
        #expect(secret.bytes.count == 32)
        #expect(secret.encoded.hasPrefix("whsec_"))
        #expect(try WebhookSecret(encoded: secret.encoded) == secret)
        #expect(!secret.description.contains(secret.encoded.dropFirst(6)))
        #expect(throws: WebhookSecretError.self) { try WebhookSecret(bytes: Array(repeating: 1, count: 23)) }
        #expect(throws: WebhookSecretError.self) { try WebhookSecret(bytes: Array(repeating: 1, count: 65)) }
        #expect(throws: WebhookSecretError.self) { try WebhookSecret(encoded: "whsec_!!!") }
    }

    /// Signatures checked by the Python `standardwebhooks` package (JSON bodies only: it decodes the body as UTF-8).
    @Test func pythonStandardWebhooksVerifiesOurSignatures() throws {
        let old = WebhookSecret.generate()
        let new = WebhookSecret.generate()
        let body = ByteBuffer(string: #"{"type":"tiles.invalidated","tiles":["3/4/2"],"ü":"✓"}"#)
        let now = Int64(Date().timeIntervalSince1970)
        let headers = WebhookHeaders.make(
            eventID: "0b5e1c7a-52f3-4f0e-9d0c-3f1e6d7a8b9c",
            timestamp: now,
            body: body,
            contentType: "application/json",
            contentEncoding: nil,
            attempt: 1,
            userAgent: "Tessera/test",
            custom: [],
            signer: WebhookSigner(secrets: [new, old])
        )
        let pairs = headers.map { ($0.name, $0.value) }
        // Either secret alone verifies (rotation); a foreign one does not.
        #expect(try PythonVerifier.verify(secret: old.encoded, headers: pairs, body: Array(body.readableBytesView)))
        #expect(try PythonVerifier.verify(secret: new.encoded, headers: pairs, body: Array(body.readableBytesView)))
        #expect(
            try !PythonVerifier.verify(
                secret: WebhookSecret.generate().encoded,
                headers: pairs,
                body: Array(body.readableBytesView)
            )
        )
    }

    @Test func customHeadersCannotOverrideTesseraHeaders() {
        for name in [
            "webhook-signature", "Content-Type", "content-encoding", "Host", "Tessera-Attempt", "webhook-foo",
            "User-Agent",
        ] {
            let error = #expect(throws: CustomHeaderError.self) { try CustomHeaders.validate([name: "x"]) }
            #expect(error?.description.contains(name) == true)
        }
        #expect(throws: CustomHeaderError.self) { try CustomHeaders.validate(["X-Evil": "a\r\nInjected: 1"]) }
        #expect(throws: CustomHeaderError.self) { try CustomHeaders.validate(["Bad Name": "x"]) }
        #expect(throws: Never.self) {
            try CustomHeaders.validate(["Authorization": "Bearer abc", "X-Team": "maps"])
        }

        let headers = WebhookHeaders.make(
            eventID: "e",
            timestamp: 1,
            body: ByteBuffer(string: "{}"),
            contentType: "application/json",
            contentEncoding: "zstd",
            attempt: 3,
            userAgent: "Tessera/1",
            custom: [("X-Team", "maps"), ("webhook-id", "forged"), ("Content-Type", "text/plain")],
            signer: WebhookSigner(secrets: [WebhookSecret.generate()])
        )
        #expect(headers["webhook-id"] == ["e"])
        #expect(headers["content-type"] == ["application/json"])
        #expect(headers["content-encoding"] == ["zstd"])
        #expect(headers["tessera-attempt"] == ["3"])
        #expect(headers["x-team"] == ["maps"])
        #expect(headers["user-agent"] == ["Tessera/1"])
    }
}

/// Runs the Python `standardwebhooks` verifier (`TESSERA_PYTHON`, else `.venv/bin/python`).
enum PythonVerifier {
    static func verify(secret: String, headers: [(String, String)], body: [UInt8]) throws -> Bool {
        let script = """
            import base64, json, sys
            from standardwebhooks.webhooks import Webhook
            job = json.load(sys.stdin)
            try:
                Webhook(job["secret"]).verify(base64.b64decode(job["body"]), job["headers"])
                print("valid")
            except Exception as error:
                print("invalid", error)
            """
        var headerObject: [String: String] = [:]
        for (name, value) in headers { headerObject[name] = value }
        let job: [String: Any] = ["secret": secret, "headers": headerObject, "body": Data(body).base64EncodedString()]
        let output = try runPython(script, input: JSONSerialization.data(withJSONObject: job))
        return output.hasPrefix("valid")
    }

    static func runPython(_ script: String, input: Data) throws -> String {
        let env = ProcessInfo.processInfo.environment
        let python = env["TESSERA_PYTHON"] ?? FileManager.default.currentDirectoryPath + "/.venv/bin/python"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try process.run()
        stdin.fileHandleForWriting.write(input)
        try stdin.fileHandleForWriting.close()
        let data = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
