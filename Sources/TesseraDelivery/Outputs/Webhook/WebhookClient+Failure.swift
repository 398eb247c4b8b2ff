import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

extension WebhookOutcome.Failure {
    /// What a request gets from a client (or one of its pools) that has been shut down.
    static let clientShutDown = Self.transport("the webhook client is shut down")
}

/// What goes wrong below ``WebhookSender``, in its terms: the client checks a connection's peer and
/// turns errors into failures itself, so it never calls up into the sender.
extension WebhookClient {
    /// Fails (and closes the channel) unless its peer address is allowed.
    static func checkPeer(of channel: any Channel, policy: AddressPolicy) -> EventLoopFuture<Void> {
        let peer = channel.remoteAddress
        let address = peer?.ipAddress.flatMap { IPAddress($0) }
        let error: AddressPolicyError?
        if let address {
            do {
                try policy.check(address)
                error = nil
            } catch let refusal {
                error = refusal
            }
        } else {
            error = AddressPolicyError(
                .addressRefused,
                subject: "\(peer.map { "\($0)" } ?? "unknown peer")",
                reason: "not an IP peer"
            )
        }
        guard let error else { return channel.eventLoop.makeSucceededVoidFuture() }
        return channel.close().flatMapErrorThrowing { _ in }.flatMapThrowing { throw error }
    }

    /// What a connection or exchange error means for the attempt log: short and about the receiver.
    static func failure(from error: any Error) -> WebhookOutcome.Failure {
        switch error {
        case let refusal as AddressPolicyError:
            return .refused(refusal)
        case let connection as NIOConnectionError:
            // Every address of the name failed; the first reason stands for them.
            if let first = connection.connectionErrors.first {
                return failure(from: first.error)
            }
            if let dns = connection.dnsAError ?? connection.dnsAAAAError {
                return .transport("could not resolve \(connection.host): \(dns)")
            }
            return .transport("could not connect to \(connection.host)")
        case ChannelError.connectTimeout:
            return .transport("connect timed out")
        case ChannelError.ioOnClosedChannel, ChannelError.eof:
            return .transport("connection closed by the receiver")
        case let io as IOError:
            switch io.errnoCode {
            case ECONNREFUSED: return .transport("connection refused")
            case ECONNRESET, EPIPE: return .transport("connection reset by the receiver")
            case ENETUNREACH, EHOSTUNREACH: return .transport("network unreachable")
            default: return .transport(io.description)
            }
        case let parser as HTTPParserError:
            return .transport("malformed HTTP answer (\(parser))")
        case let tls as NIOSSLError:
            // BoringSSL's text carries a source path; its reason code (CERTIFICATE_VERIFY_FAILED, …) is
            // what an operator needs.
            let text = String(describing: tls)
            if let marker = text.range(of: "OPENSSL_internal:") {
                let reason = text[marker.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                return .transport("TLS handshake failed: \(reason)")
            }
            return .transport("TLS: \(text)")
        case is CancellationError:
            return .transport("cancelled")
        default:
            return .transport(String(describing: error))
        }
    }
}
