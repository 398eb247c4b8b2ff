import Synchronization
import Testing

@testable import TesseraPostgres

@Suite struct DeadlineTests {
    @Test func aFastOperationReturnsItsValueAndLeavesNoTimerRunning() async throws {
        let clock = ContinuousClock()
        // The group returns only when both children have ended: were the timer left running, this
        // would take the whole deadline.
        let elapsed = try await clock.measure {
            let value = try await withDeadline(.seconds(3600)) { 42 }
            #expect(value == 42)
        }
        #expect(elapsed < .seconds(600))
    }

    @Test func anErrorOfTheOperationIsThrownAsItIs() async {
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withDeadline(.seconds(3600)) { () async throws -> Int in throw Refused() }
        }
    }

    @Test func aSlowOperationIsCancelledAtTheDeadline() async {
        let error = await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100)) { () async throws -> Int in
                try await Task.sleep(for: .seconds(3600))
                return 1
            }
        }
        #expect(error?.deadline == .milliseconds(100))
    }

    /// An operation that ignores cancellation (a query on a silent server) ends when `abandon`
    /// closes what it waits on.
    @Test func abandonEndsAnOperationThatIgnoresCancellationAtTheDeadline() async {
        let gate = Gate()
        await #expect(throws: DeadlineExceeded.self) {
            try await withDeadline(.milliseconds(100), abandon: { gate.open() }) {
                await gate.wait()  // a continuation: cancelling the task does not resume it
                return 1
            }
        }
        #expect(gate.isOpen)
    }

    /// The same when the caller is cancelled first (a graceful shutdown): it does not wait for the deadline.
    @Test func abandonEndsSuchAnOperationWhenTheCallerIsCancelled() async {
        let gate = Gate()
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            let task = Task {
                try await withDeadline(.seconds(3600), abandon: { gate.open() }) {
                    await gate.wait()
                    return 1
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
            task.cancel()
            _ = try? await task.value
        }
        #expect(gate.isOpen)
        #expect(elapsed < .seconds(600))
    }
}

extension DeadlineTests {
    /// An operation that neither cancellation nor `abandon` ends (a query PostgreSQL never answers nor
    /// fails) does not hold the caller past the deadline.
    @Test func anOperationNothingEndsDoesNotHoldTheCaller() async {
        let gate = Gate()
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            await #expect(throws: DeadlineExceeded.self) {
                try await withDeadline(.milliseconds(100)) {
                    await gate.wait()
                    return 1
                }
            }
        }
        #expect(elapsed < .seconds(600))
        gate.open()  // lets the abandoned operation end
    }
}

/// Resumes its waiter only when opened.
final class Gate: Sendable {
    private struct State {
        var open = false
        var waiter: CheckedContinuation<Void, Never>?
    }
    private let state = Mutex(State())

    var isOpen: Bool { state.withLock { $0.open } }

    func open() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.open = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    func wait() async {
        await withCheckedContinuation { c in
            let now = state.withLock { s -> Bool in
                if s.open { return true }
                s.waiter = c
                return false
            }
            if now { c.resume() }
        }
    }
}
