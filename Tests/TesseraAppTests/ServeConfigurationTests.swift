import Foundation
import TesseraDelivery
import Testing

@testable import TesseraApp

/// `tessera serve`'s configuration file: subscription secrets and misspelt settings.
@Suite struct ServeConfigurationTests {
    /// Writes `json` to a temporary file and loads it with `environment`.
    static func load(_ json: String, environment: [String: String] = [:]) throws -> ServeConfiguration {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-config-\(UUID()).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try ServeConfiguration.load(file: path, environment: environment)
    }

    /// The error `load` throws, with the temporary file's name cut off.
    static func error(_ json: String, environment: [String: String] = [:]) -> String? {
        do {
            _ = try load(json, environment: environment)
            return nil
        } catch {
            let text = "\(error)"
            return text.range(of: ".json: ").map { String(text[$0.upperBound...]) } ?? text
        }
    }

    static func subscription(_ extra: String) -> String {
        #"{"subscriptions": [{"name": "cache", "url": "https://cache.example.com/expire", "layers": ["roads"]\#(extra)}]}"#
    }

    @Test func aSubscriptionSecretComesFromTheEnvironmentOrAFile() throws {
        let secret = WebhookSecret.generate()
        let fromEnvironment = try Self.load(
            Self.subscription(#", "secret_env": "CACHE_SECRET""#),
            environment: ["CACHE_SECRET": secret.encoded]
        )
        #expect(fromEnvironment.subscriptions.first?.secret == secret.bytes)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-secret-\(UUID())").path
        try (secret.encoded + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try Self.load(Self.subscription(#", "secret_file": "\#(file)""#))
        #expect(fromFile.subscriptions.first?.secret == secret.bytes)

        let without = try Self.load(Self.subscription(""))
        #expect(without.subscriptions.first?.secret == nil)
    }

    @Test func badSecretsAreRefusedNamingTheSettingButNotTheSecret() {
        #expect(
            Self.error(Self.subscription(#", "secret_env": "CACHE_SECRET""#))
                == "subscriptions[0].secret_env names CACHE_SECRET, which is not set"
        )
        #expect(
            Self.error(Self.subscription(#", "secret_env": "CACHE_SECRET""#), environment: ["CACHE_SECRET": "hunter2"])
                == "subscriptions[0].secret_env does not hold a usable whsec_ signing secret: "
                + "is not base64 after the 'whsec_' prefix"
        )
        #expect(
            Self.error(Self.subscription(#", "secret_env": "S""#), environment: ["S": "whsec_AAAA"])
                == "subscriptions[0].secret_env does not hold a usable whsec_ signing secret: must be 24 to 64 bytes, got 3"
        )
        #expect(
            Self.error(Self.subscription(#", "secret_env": "A", "secret_file": "/b""#))
                == "subscriptions[0].secret_env and secret_file cannot both be given"
        )
        let missing = Self.error(Self.subscription(#", "secret_file": "/nonexistent/secret""#)) ?? ""
        #expect(missing.hasPrefix("subscriptions[0].secret_file is unusable: cannot read /nonexistent/secret"))
    }

    @Test func subscriptionURLsAreCheckedAtLoad() throws {
        let local = #"{"subscriptions": [{"name": "c", "url": "http://127.0.0.1:8080/expire", "layers": ["roads"]}]"#
        #expect(
            Self.error(local + "}")
                == "subscriptions[0].url: address 127.0.0.1 is refused: loopback (see allow_networks)"
        )
        #expect(try Self.load(local + #", "allow_networks": ["127.0.0.0/8"]}"#).subscriptions.count == 1)
        let metadata = #"{"subscriptions": [{"name": "c", "url": "http://169.254.169.254/", "layers": ["roads"]}]}"#
        #expect(Self.error(metadata)?.hasPrefix("subscriptions[0].url: address 169.254.169.254 is refused") == true)
        let ftp = #"{"subscriptions": [{"name": "c", "url": "ftp://cache.example.com/", "layers": ["roads"]}]}"#
        #expect(Self.error(ftp)?.hasPrefix("subscriptions[0].url: ") == true)
    }

    @Test func misspeltSettingsAreRefusedWhereverTheyAre() {
        #expect(
            Self.error(Self.subscription(#", "secret": "whsec_x""#))?.hasPrefix(
                "subscriptions[0].secret is not a setting (known: ban_header, compression, debounce_ms, filter, format, headers, kind, layers"
            ) == true
        )
        #expect(
            Self.error(#"{"layers": [{"name": "roads", "maxzoom": 16}]}"#)?.hasPrefix(
                "layers[0].maxzoom is not a setting"
            ) == true
        )
        #expect(
            Self.error(#"{"watch": [{"table": "roads", "layer": ["roads"]}]}"#)?.hasPrefix(
                "watch[0].layer is not a setting"
            ) == true
        )
        #expect(
            Self.error(#"{"processor": {"batchsize": 5}}"#)?.hasPrefix("processor.batchsize is not a setting") == true
        )
        #expect(
            Self.error(#"{"dispatcher": {"workers": 5}}"#)?.hasPrefix("dispatcher.workers is not a setting") == true
        )
        #expect(Self.error(#"{"dispatcher": 5}"#) == "dispatcher must be a JSON object")
    }
}
