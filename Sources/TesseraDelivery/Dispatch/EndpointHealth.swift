import Synchronization

/// The breaker state of each subscription's endpoint as this process's dispatcher last saw it, for
/// the status page (the database does not hold breakers: each dispatcher has its own).
public final class EndpointHealth: Sendable {
    /// A breaker state as the status page names it.
    public enum State: String, Sendable {
        case closed
        case halfOpen = "half_open"
        case open
    }

    private let states = Mutex<[String: (endpoint: String, state: State)]>([:])

    public init() {}

    func record(subscription: String, endpoint: String, breaker: CircuitBreaker.State) {
        let state: State
        switch breaker {
        case .closed: state = .closed
        case .halfOpen: state = .halfOpen
        case .open: state = .open
        }
        states.withLock { $0[subscription] = (endpoint, state) }
    }

    /// The last state seen for `subscription`'s endpoint; nil when this process sent nothing for it.
    public func state(ofSubscription subscription: String) -> State? {
        states.withLock { $0[subscription]?.state }
    }
}
