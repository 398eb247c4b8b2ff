import Testing

@testable import TesseraPostgres

@Suite struct BackoffTests {
    @Test func doublesFromTheFirstDelayUpToTheCapAndStartsOverAfterASuccess() {
        var backoff = Backoff()
        let delays = (0..<8).map { _ in backoff.failed() }
        #expect(delays == [100, 200, 400, 500, 500, 500, 500, 500].map { Duration.milliseconds($0) })
        #expect(backoff.failures == 8)
        backoff.succeeded()
        #expect(backoff.failed() == .milliseconds(100))
    }

    @Test func aLongOutageDoesNotOverflow() {
        var backoff = Backoff(initial: .milliseconds(100), maximum: .seconds(5))
        for _ in 0..<10_000 { _ = backoff.failed() }
        #expect(backoff.failed() == .seconds(5))
    }
}
