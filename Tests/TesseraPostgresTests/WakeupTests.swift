import Synchronization
import Testing

@testable import TesseraPostgres

@Suite struct WakeupTests {
    @Test func aSignalSentWhileNobodyWaitsEndsTheNextWaitAtOnce() async {
        let wakeup = Wakeup()
        wakeup.signal()
        wakeup.signal()  // collapses with the first
        let clock = ContinuousClock()
        let first = await clock.measure { await wakeup.wait(timeout: .seconds(3600)) }
        #expect(first < .seconds(600))
        // Both signals were used up by that one wait: the next one runs to its timeout.
        let second = await clock.measure { await wakeup.wait(timeout: .milliseconds(200)) }
        #expect(second >= .milliseconds(200))
    }

    @Test func aSignalEndsAWaitInProgress() async {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            await withDiscardingTaskGroup { group in
                group.addTask { await wakeup.wait(timeout: .seconds(3600)) }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(50))
                    wakeup.signal()
                }
            }
        }
        #expect(elapsed < .seconds(600))
    }

    @Test func cancellationEndsAWait() async {
        let wakeup = Wakeup()
        let clock = ContinuousClock()
        let elapsed = await clock.measure {
            let task = Task { await wakeup.wait(timeout: .seconds(3600)) }
            try? await Task.sleep(for: .milliseconds(50))
            task.cancel()
            await task.value
        }
        #expect(elapsed < .seconds(600))
    }
}
