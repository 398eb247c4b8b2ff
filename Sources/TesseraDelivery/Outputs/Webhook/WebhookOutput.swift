import Foundation
import NIOCore

/// The webhook output: signs a delivery (Standard Webhooks) and POSTs (or PUTs, PATCHes) it to the
/// subscription's URL through the shared ``WebhookSender``.
public struct WebhookOutput: DeliveryOutput {
    /// The output's name in `tessera.deliveries.output`, the default of every delivery.
    public static let name = "webhook"

    public var name: String { Self.name }
    let sender: WebhookSender

    public init(sender: WebhookSender) {
        self.sender = sender
    }

    public func send(
        _ delivery: ClaimedDelivery,
        attempt: Int,
        to target: DeliveryTarget,
        completion: @escaping @Sendable (WebhookOutcome) -> Void
    ) {
        let url: WebhookURL
        switch target.url {
        case .failure(let error):
            completion(WebhookOutcome(duration: .zero, failure: .refused(error)))
            return
        case .success(let checked):
            url = checked
        }
        guard target.signer.secretCount > 0 else {
            completion(WebhookOutcome(duration: .zero, failure: .transport("the subscription has no signing secret")))
            return
        }
        let headers = WebhookHeaders.make(
            eventID: delivery.eventID,
            timestamp: Int64(Date().timeIntervalSince1970),
            body: delivery.payload,
            contentType: delivery.contentType,
            contentEncoding: delivery.contentEncoding,
            attempt: attempt,
            userAgent: sender.configuration.userAgent,
            custom: target.headers,
            signer: target.signer
        )
        let request = WebhookRequest(
            url: url,
            method: target.method,
            headers: headers,
            body: delivery.payload,
            timeout: target.timeout
        )
        sender.send(request, completion: completion)
    }
}
