import Synchronization

/// Wakes one waiting loop at the earliest time anyone asked for: `wake(at:)` sets (or brings forward)
/// the alarm; `wait(until:)` returns when the alarm or its own deadline comes, whichever is sooner.
///
/// The hand-over from a stage that knows when work falls due to the stage that does it: the processor
/// knows when each coalescing window it wrote is due, the flusher sleeps exactly until then. An alarm
/// set while nobody waits is kept for the next wait; one later than the alarm already set changes
/// nothing. From one waiting task at a time.
public final class Alarm: Sendable {
    private let earliest = Mutex<ContinuousClock.Instant?>(nil)
    private let wakeup = Wakeup()

    public init() {}

    /// The alarm set and not yet come.
    var scheduled: ContinuousClock.Instant? { earliest.withLock { $0 } }

    /// Asks for the waiter to run at `instant` (at once when it has passed).
    public func wake(at instant: ContinuousClock.Instant) {
        let sooner = earliest.withLock { current -> Bool in
            if let current, current <= instant { return false }
            current = instant
            return true
        }
        if sooner { wakeup.signal() }
    }

    /// Returns at the alarm, at `deadline`, or when the task is cancelled, whichever comes first. An
    /// alarm that has come is cleared; one still ahead is kept.
    public func wait(until deadline: ContinuousClock.Instant) async {
        let clock = ContinuousClock()
        while !Task.isCancelled {
            let now = clock.now
            let target = earliest.withLock { current -> ContinuousClock.Instant in
                if let alarm = current, alarm <= now {
                    current = nil
                    return alarm
                }
                return min(deadline, current ?? deadline)
            }
            if target <= now { return }
            await wakeup.wait(timeout: target - now)
        }
    }
}
