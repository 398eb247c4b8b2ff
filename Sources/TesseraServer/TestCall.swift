import Foundation
import NIOCore
import NIOHTTP1
import TesseraCatalog
import TesseraDelivery
import TesseraGeometry

/// `POST /v1/subscriptions/{id}/test`: one signed `webhook.test` event sent now, outside the queue,
/// through the dispatcher's ``WebhookSender`` (so the address policy is enforced on the address
/// actually connected to), and what the receiver answered.
struct TestCall: Sendable {
    let sender: WebhookSender
    var userAgent = "Tessera"

    func send(to subscription: Subscription, secrets: [SubscriptionSecret]) async throws -> JSONValue {
        let eventID = "test_" + UUID().uuidString.lowercased()
        let now = Date()
        let body = JSONValue.object([
            ("type", .string("webhook.test")),
            ("timestamp", .date(now)),
            (
                "data",
                .object([
                    ("subscription_id", .string(subscription.id.uuidString.lowercased())),
                    ("subscription_name", .string(subscription.settings.name)),
                ])
            ),
        ]).serialized()
        let url: WebhookURL
        guard subscription.settings.output == .webhook else {
            let output = subscription.settings.output.rawValue
            return result(
                eventID: eventID,
                subscription: subscription,
                outcome: nil,
                error:
                    "a test event is a signed webhook; this subscription's output is \(output), which it does not send"
            )
        }
        do {
            url = try sender.configuration.policy.checkURL(subscription.settings.url)
        } catch {
            return result(eventID: eventID, subscription: subscription, outcome: nil, error: error.description)
        }
        let signer = WebhookSigner(secrets: secrets.compactMap { try? WebhookSecret(bytes: $0.bytes) })
        let buffer = ByteBuffer(string: body)
        let headers = WebhookHeaders.make(
            eventID: eventID,
            timestamp: Int64(now.timeIntervalSince1970),
            body: buffer,
            contentType: "application/json",
            contentEncoding: nil,
            attempt: 1,
            userAgent: userAgent,
            custom: subscription.settings.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            signer: signer
        )
        let request = WebhookRequest(
            url: url,
            method: HTTPMethod(rawValue: subscription.settings.method.rawValue),
            headers: headers,
            body: buffer,
            timeout: .milliseconds(subscription.settings.timeoutMilliseconds)
        )
        let outcome = await sender.send(request)
        return result(eventID: eventID, subscription: subscription, outcome: outcome, error: outcome.errorDescription)
    }

    func result(eventID: String, subscription: Subscription, outcome: WebhookOutcome?, error: String?) -> JSONValue {
        .object([
            ("event_id", .string(eventID)),
            ("event_type", .string("webhook.test")),
            ("url", .string(subscription.settings.url)),
            ("success", .bool(outcome?.isSuccess ?? false)),
            ("status_code", .int(outcome?.statusCode)),
            ("latency_ms", .int(outcome?.milliseconds)),
            ("response_body", .string(outcome?.responseBody)),
            ("error", .string(error)),
        ])
    }
}
