import Testing

@testable import TesseraDelivery

/// The webhook pool's decisions without sockets or event loops: requests and connections are numbers
/// (requests 1, 2, …, connections 100, 101, …), and each step checks the exact action asked for.
@Suite struct EndpointPoolStateMachineTests {
    typealias Machine = EndpointPoolStateMachine<Int, Int>

    let t0 = ContinuousClock.now
    let refused = WebhookOutcome.Failure.transport("connection refused")

    @Test func reusesTheMostRecentlyReleasedConnection() {
        var pool = Machine(limit: 4, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.enqueue(2) == .openConnection)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        #expect(pool.connectionEstablished(101, now: t0) == .startRequest(2, on: 101))
        #expect(pool.released(100, now: t0) == .scheduleIdleSweep)
        #expect(pool.released(101, now: t0 + .seconds(1)) == .none)
        #expect(pool.enqueue(3) == .startRequest(3, on: 101))
        #expect(pool.enqueue(4) == .startRequest(4, on: 100))
        // Nothing idle, two of four open: one more.
        #expect(pool.enqueue(5) == .openConnection)
    }

    @Test func opensConnectionsOnlyBelowTheLimitAndQueuesTheRest() {
        var pool = Machine(limit: 2, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.enqueue(2) == .openConnection)
        // Two opening: the rest wait, whether the connects are still running or done.
        #expect(pool.enqueue(3) == .none)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        #expect(pool.enqueue(4) == .none)
        #expect(pool.connectionEstablished(101, now: t0) == .startRequest(2, on: 101))
        #expect(pool.enqueue(5) == .none)
        // Oldest first, on whichever connection frees up.
        #expect(pool.released(101, now: t0) == .startRequest(3, on: 101))
        #expect(pool.released(100, now: t0) == .startRequest(4, on: 100))
        #expect(pool.released(100, now: t0) == .startRequest(5, on: 100))
        #expect(pool.released(101, now: t0) == .scheduleIdleSweep)
        #expect(pool.released(100, now: t0) == .none)
        // A closed connection makes room again, but only a waiting request opens one.
        #expect(pool.connectionClosed(100) == .none)
        #expect(pool.enqueue(6) == .startRequest(6, on: 101))
        #expect(pool.enqueue(7) == .openConnection)
        #expect(pool.enqueue(8) == .none)
    }

    @Test func aRequestThatTimedOutWhileWaitingIsSkipped() {
        var pool = Machine(limit: 1, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        for request in 2...5 { #expect(pool.enqueue(request) == .none) }
        #expect(pool.requestTimedOut(2) == .failRequest(2, .timeout))
        #expect(pool.requestTimedOut(4) == .failRequest(4, .timeout))
        // Already failed, or on a connection (the driver closes that one): nothing for the pool to do.
        #expect(pool.requestTimedOut(2) == .none)
        #expect(pool.requestTimedOut(1) == .none)
        #expect(pool.released(100, now: t0) == .startRequest(3, on: 100))
        #expect(pool.released(100, now: t0) == .startRequest(5, on: 100))
        #expect(pool.released(100, now: t0) == .scheduleIdleSweep)
    }

    @Test func servesALongQueueOldestFirstAroundTimeouts() {
        var pool = Machine(limit: 1, idleTimeout: .seconds(60))
        #expect(pool.enqueue(0) == .openConnection)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(0, on: 100))
        for request in 1...500 { #expect(pool.enqueue(request) == .none) }
        for request in stride(from: 1, through: 500, by: 3) {
            #expect(pool.requestTimedOut(request) == .failRequest(request, .timeout))
        }
        var served: [Int] = []
        while case .startRequest(let request, on: 100) = pool.released(100, now: t0) {
            served.append(request)
            // Timeouts at the front of the queue while it is being served.
            if request == 200 {
                #expect(pool.requestTimedOut(201) == .failRequest(201, .timeout))
                #expect(pool.requestTimedOut(202) == .none)
                #expect(pool.requestTimedOut(203) == .failRequest(203, .timeout))
            }
        }
        let expected = (1...500).filter { $0 % 3 != 1 && $0 != 201 && $0 != 203 }
        #expect(served == expected)
        #expect(pool.enqueue(501) == .startRequest(501, on: 100))
    }

    @Test func aFailedConnectWithNothingOpenOrOpeningFailsEveryWaitingRequest() {
        var pool = Machine(limit: 1, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.enqueue(2) == .none)
        #expect(pool.enqueue(3) == .none)
        #expect(pool.requestTimedOut(2) == .failRequest(2, .timeout))
        #expect(pool.connectFailed(refused) == .failRequests([1, 3], refused))
        // The next request tries again.
        #expect(pool.enqueue(4) == .openConnection)
        #expect(pool.connectFailed(refused) == .failRequests([4], refused))
        // Another connect still opening: only the oldest waiting request fails, until the last one fails.
        var opening = Machine(limit: 2, idleTimeout: .seconds(60))
        #expect(opening.enqueue(1) == .openConnection)
        #expect(opening.enqueue(2) == .openConnection)
        #expect(opening.enqueue(3) == .none)
        #expect(opening.connectFailed(refused) == .failRequest(1, refused))
        #expect(opening.connectFailed(refused) == .failRequests([2, 3], refused))
    }

    @Test func aFailedConnectWithAConnectionOpenFailsOnlyTheOldestWaitingRequest() {
        var pool = Machine(limit: 2, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        #expect(pool.enqueue(2) == .openConnection)
        #expect(pool.enqueue(3) == .none)
        #expect(pool.enqueue(4) == .none)
        #expect(pool.requestTimedOut(2) == .failRequest(2, .timeout))
        // 2 timed out, so 3 is the oldest still waiting; 4 waits for the open connection.
        #expect(pool.connectFailed(refused) == .failRequest(3, refused))
        #expect(pool.released(100, now: t0) == .startRequest(4, on: 100))
        #expect(pool.released(100, now: t0) == .scheduleIdleSweep)
        #expect(pool.enqueue(5) == .startRequest(5, on: 100))
        // With nothing waiting a failed connect fails nobody.
        #expect(pool.enqueue(6) == .openConnection)
        #expect(pool.requestTimedOut(6) == .failRequest(6, .timeout))
        #expect(pool.connectFailed(refused) == .none)
    }

    @Test func aConnectionClosingWhileRequestsWaitIsReplaced() {
        var pool = Machine(limit: 1, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        #expect(pool.enqueue(2) == .none)
        #expect(pool.connectionClosed(100) == .openConnection)
        // A close reported twice (or before its connect's end) opens nothing more: the limit is reached.
        #expect(pool.connectionClosed(100) == .none)
        #expect(pool.connectionEstablished(101, now: t0) == .startRequest(2, on: 101))
        #expect(pool.connectionClosed(101) == .none)
        // A connect whose connection closed before it could be used is replaced the same way.
        #expect(pool.enqueue(3) == .openConnection)
        #expect(pool.connectionClosedBeforeUse() == .openConnection)
        #expect(pool.connectionEstablished(102, now: t0) == .startRequest(3, on: 102))
        // One that began to close takes no request but holds its place until it is gone.
        #expect(pool.released(102, now: t0) == .scheduleIdleSweep)
        pool.connectionClosing(102)
        #expect(pool.enqueue(4) == .none)
        #expect(pool.connectionClosed(102) == .openConnection)
        #expect(pool.connectionEstablished(103, now: t0) == .startRequest(4, on: 103))
    }

    @Test func theIdleSweepClosesOnlyConnectionsIdlePastTheTimeoutAndStopsWhenNoneIsIdle() {
        var pool = Machine(limit: 3, idleTimeout: .seconds(60))
        for request in 1...3 { #expect(pool.enqueue(request) == .openConnection) }
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        #expect(pool.connectionEstablished(101, now: t0) == .startRequest(2, on: 101))
        #expect(pool.connectionEstablished(102, now: t0) == .startRequest(3, on: 102))
        #expect(pool.released(100, now: t0) == .scheduleIdleSweep)
        #expect(pool.released(101, now: t0 + .seconds(20)) == .none)
        #expect(pool.released(102, now: t0 + .seconds(40)) == .none)
        // Idle exactly the timeout is not past it.
        #expect(pool.sweepIdle(now: t0 + .seconds(60)) == .none)
        #expect(pool.sweepIdle(now: t0 + .seconds(61)) == .closeIdleConnections([100], stopIdleSweep: false))
        #expect(pool.connectionClosed(100) == .none)
        #expect(pool.sweepIdle(now: t0 + .seconds(101)) == .closeIdleConnections([101, 102], stopIdleSweep: true))
        #expect(pool.sweepIdle(now: t0 + .seconds(200)) == .none)
        // The next connection to go idle starts it again; a sweep that finds nothing idle stops.
        #expect(pool.enqueue(4) == .openConnection)
        #expect(pool.connectionEstablished(103, now: t0 + .seconds(300)) == .startRequest(4, on: 103))
        #expect(pool.released(103, now: t0 + .seconds(300)) == .scheduleIdleSweep)
        #expect(pool.enqueue(5) == .startRequest(5, on: 103))
        #expect(pool.sweepIdle(now: t0 + .seconds(400)) == .closeIdleConnections([], stopIdleSweep: true))
        // The busy connection was not swept.
        #expect(pool.released(103, now: t0 + .seconds(400)) == .scheduleIdleSweep)
        #expect(pool.enqueue(6) == .startRequest(6, on: 103))
    }

    @Test func closingFailsWaitingRequestsClosesEveryConnectionAndFailsLaterRequests() {
        var pool = Machine(limit: 2, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        #expect(pool.enqueue(2) == .openConnection)
        #expect(pool.enqueue(3) == .none)
        #expect(pool.enqueue(4) == .none)
        #expect(pool.requestTimedOut(3) == .failRequest(3, .timeout))
        #expect(
            pool.close()
                == .shutDown(failing: [2, 4], failure: .clientShutDown, closing: [100], stopIdleSweep: false)
        )
        #expect(pool.enqueue(5) == .failRequest(5, .transport("the webhook client is shut down")))
        // What was under way ends closed, and nothing is replaced.
        #expect(pool.connectionEstablished(101, now: t0) == .closeConnection(101))
        #expect(pool.released(100, now: t0) == .closeConnection(100))
        #expect(pool.connectionClosed(100) == .none)
        #expect(pool.connectionClosed(101) == .none)
    }

    @Test func closingStopsTheIdleSweep() {
        var pool = Machine(limit: 2, idleTimeout: .seconds(60))
        #expect(pool.enqueue(1) == .openConnection)
        #expect(pool.enqueue(2) == .openConnection)
        #expect(pool.connectionEstablished(100, now: t0) == .startRequest(1, on: 100))
        #expect(pool.connectionEstablished(101, now: t0) == .startRequest(2, on: 101))
        #expect(pool.released(101, now: t0) == .scheduleIdleSweep)
        #expect(
            pool.close() == .shutDown(failing: [], failure: .clientShutDown, closing: [100, 101], stopIdleSweep: true)
        )
        #expect(pool.sweepIdle(now: t0 + .seconds(120)) == .none)
        #expect(pool.enqueue(3) == .failRequest(3, .clientShutDown))
    }
}
