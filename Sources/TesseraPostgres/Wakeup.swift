import Synchronization

/// Wakes one waiting loop early: `signal()` ends the current (or the next) `wait(timeout:)`.
///
/// Signals sent while nobody waits collapse into one, and none is lost while the waiter is busy:
/// the hand-over between stages (a NOTIFY to the processor, a freed request slot to the dispatcher's
/// claim loop, a stored outcome to its writer). The timeout is the safety net a loop polls at anyway.
public final class Wakeup: Sendable {
    private struct State {
        var signalled = false
        var nextID = 0
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        /// A wait whose time ran out before it stored its continuation.
        var expired: Int?
    }

    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.signalled = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next signal (at once if one came since the last wait), after `timeout`, or when
    /// the task is cancelled. From one task at a time.
    public func wait(timeout: Duration) async {
        let id: Int? = state.withLock { state in
            if state.signalled {
                state.signalled = false
                return nil
            }
            state.nextID += 1
            return state.nextID
        }
        guard let id else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: timeout)
                self.timeOut(id)
            }
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled || state.expired == id {
                        state.signalled = false
                        return true
                    }
                    state.waiter = (id, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
            group.cancelAll()
        }
    }

    private func timeOut(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter, waiter.id == id else {
                state.expired = id
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume()
    }
}
