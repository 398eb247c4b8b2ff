import Testing

@testable import TesseraPostgres

@Suite struct AlarmTests {
    let clock = ContinuousClock()

    @Test func aWaitEndsAtTheAlarmNotItsDeadline() async {
        let alarm = Alarm()
        let start = clock.now
        alarm.wake(at: start + .milliseconds(150))
        await alarm.wait(until: start + .seconds(3600))
        let elapsed = start.duration(to: clock.now)
        #expect(elapsed >= .milliseconds(150) && elapsed < .seconds(600))
        // The alarm that came is used up: the next wait runs to its deadline.
        let next = clock.now
        await alarm.wait(until: next + .milliseconds(100))
        #expect(next.duration(to: clock.now) >= .milliseconds(100))
    }

    @Test func anEarlierAlarmBringsAWaitInProgressForwardAndALaterOneDoesNot() async {
        let alarm = Alarm()
        let start = clock.now
        await withDiscardingTaskGroup { group in
            group.addTask { await alarm.wait(until: start + .seconds(3600)) }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(30))
                alarm.wake(at: start + .milliseconds(200))
                alarm.wake(at: start + .seconds(1800))  // later than the one set: changes nothing
            }
        }
        let elapsed = start.duration(to: clock.now)
        #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(600))
    }

    @Test func anAlarmAheadOfADeadlineIsKeptForTheNextWait() async {
        let alarm = Alarm()
        let start = clock.now
        alarm.wake(at: start + .seconds(3600))
        await alarm.wait(until: start + .milliseconds(50))  // the deadline comes first
        #expect(alarm.scheduled == start + .seconds(3600))
        alarm.wake(at: start + .milliseconds(100))
        await alarm.wait(until: start + .seconds(3600))
        #expect(start.duration(to: clock.now) >= .milliseconds(100))
        #expect(alarm.scheduled == nil)  // used up
    }

    @Test func anAlarmInThePastEndsTheWaitAtOnce() async {
        let alarm = Alarm()
        alarm.wake(at: clock.now - .seconds(1))
        let elapsed = await clock.measure { await alarm.wait(until: clock.now + .seconds(3600)) }
        #expect(elapsed < .seconds(600))
    }
}
