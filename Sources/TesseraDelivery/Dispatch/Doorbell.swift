import Synchronization

/// Wakes one waiting loop early: `ring()` ends the current (or the next) `wait(timeout:)`.
/// Rings while nobody waits collapse into one.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var nextID = 0
        var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
        /// A wait whose time ran out before it stored its continuation.
        var expired: Int?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the next ring, after `timeout`, or when the task is cancelled. From one task at a time.
    func wait(timeout: Duration) async {
        let id: Int? = state.withLock { state in
            if state.rung {
                state.rung = false
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
                    if state.rung || state.expired == id {
                        state.rung = false
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
