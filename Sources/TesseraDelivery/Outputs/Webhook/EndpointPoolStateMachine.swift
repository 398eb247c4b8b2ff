/// The decisions of one endpoint's pool on one event loop, as a state machine: when to open a connection,
/// which waiting request a free connection takes, whom a failed connect fails, which idle connections a
/// sweep closes, what closing the pool does. Events in, actions out: ``EndpointPool`` does the I/O and
/// reports what came of it, so the rules are tested without sockets. Pure: no NIO, the time is passed in.
///
/// `Request` and `Connection` are whatever the driver tells them apart by: the ``Exchange`` and
/// ``ExchangeHandler`` objects themselves in ``EndpointPool`` (so no table maps an ID back to an object
/// on the hot path), plain numbers in the tests.
///
/// The rules:
/// - at most `limit` connections open or opening; a request that finds no idle connection waits, and
///   opens one if that stays within the limit;
/// - the most recently released idle connection is reused first (its socket is the warmest, and the
///   others age towards the idle sweep);
/// - waiting requests are served oldest first; one that timed out no longer waits;
/// - a failed connect fails the oldest waiting request (the others keep waiting for a connection that
///   may still open), or every waiting request when nothing is open or opening: the endpoint is
///   unreachable;
/// - a connection that closes while requests wait is replaced;
/// - once closed, the pool fails what waits and every later request, and closes what it has.
struct EndpointPoolStateMachine<Request: Equatable, Connection: Equatable> {
    /// What the driver does after an event. At most one per event; none allocates for the hot path's
    /// events (a request handed over, an answer read).
    enum Action {
        case none
        /// Send the request on the connection, which is busy until ``released(_:now:)`` or
        /// ``connectionClosed(_:)``.
        case startRequest(Request, on: Connection)
        /// Open one more connection and report how it ended: ``connectionEstablished(_:now:)``,
        /// ``connectFailed(_:)`` or ``connectionClosedBeforeUse()``.
        case openConnection
        case failRequest(Request, WebhookOutcome.Failure)
        case failRequests([Request], WebhookOutcome.Failure)
        case closeConnection(Connection)
        /// Call ``sweepIdle(now:)`` every idle timeout until an answer says to stop.
        case scheduleIdleSweep
        case closeIdleConnections([Connection], stopIdleSweep: Bool)
        /// Fail the waiting requests, then close every connection (busy ones included).
        case shutDown(
            failing: [Request],
            failure: WebhookOutcome.Failure,
            closing: [Connection],
            stopIdleSweep: Bool
        )
    }

    /// Most connections open or opening at once.
    let limit: Int
    /// An idle connection older than this is closed by the next sweep.
    let idleTimeout: Duration

    /// Connections ready for a request, most recently released last.
    private var idle: [(connection: Connection, since: ContinuousClock.Instant)] = []
    /// Every established connection until it closes, idle or busy.
    private var connections: [Connection] = []
    private var connecting = 0
    private var waiting = RequestQueue()
    private var isSweepScheduled = false
    private var isClosed = false

    init(limit: Int, idleTimeout: Duration) {
        self.limit = limit
        self.idleTimeout = idleTimeout
    }

    private var mayConnect: Bool { connections.count + connecting < limit }

    /// A request handed over to the pool.
    mutating func enqueue(_ request: Request) -> Action {
        if isClosed { return .failRequest(request, .clientShutDown) }
        if let connection = idle.popLast()?.connection { return .startRequest(request, on: connection) }
        waiting.append(request)
        guard mayConnect else { return .none }
        connecting += 1
        return .openConnection
    }

    /// A connect asked for by ``Action/openConnection`` succeeded.
    mutating func connectionEstablished(_ connection: Connection, now: ContinuousClock.Instant) -> Action {
        connecting -= 1
        connections.append(connection)
        return released(connection, now: now)
    }

    /// A connect asked for by ``Action/openConnection`` failed; `failure` says why.
    mutating func connectFailed(_ failure: WebhookOutcome.Failure) -> Action {
        connecting -= 1
        if connections.isEmpty && connecting == 0 {
            let requests = waiting.removeAll()
            return requests.isEmpty ? .none : .failRequests(requests, failure)
        }
        guard let request = waiting.popFirst() else { return .none }
        return .failRequest(request, failure)
    }

    /// A connect asked for by ``Action/openConnection`` produced a connection that closed before the
    /// pool could use it (or one the driver could not take): the attempt is over, and requests that
    /// still wait need another.
    mutating func connectionClosedBeforeUse() -> Action {
        connecting -= 1
        return replaceIfWaiting()
    }

    /// A connection finished its exchange and can take another.
    mutating func released(_ connection: Connection, now: ContinuousClock.Instant) -> Action {
        if isClosed { return .closeConnection(connection) }
        if let request = waiting.popFirst() { return .startRequest(request, on: connection) }
        idle.append((connection, now))
        guard !isSweepScheduled else { return .none }
        isSweepScheduled = true
        return .scheduleIdleSweep
    }

    /// A connection began to close on its own (an error, say) and must take no request, though it counts
    /// against the limit until ``connectionClosed(_:)``. Nothing to do.
    mutating func connectionClosing(_ connection: Connection) {
        if let index = idle.firstIndex(where: { $0.connection == connection }) { idle.remove(at: index) }
    }

    /// A connection is gone; its exchange, if it had one, is the driver's to fail.
    mutating func connectionClosed(_ connection: Connection) -> Action {
        if let index = connections.firstIndex(of: connection) { connections.remove(at: index) }
        connectionClosing(connection)
        return replaceIfWaiting()
    }

    private mutating func replaceIfWaiting() -> Action {
        guard !isClosed && !waiting.isEmpty && mayConnect else { return .none }
        connecting += 1
        return .openConnection
    }

    /// A request's timeout passed. One still waiting stops waiting and fails; one that has a connection
    /// is not the pool's business (the driver closes that connection).
    mutating func requestTimedOut(_ request: Request) -> Action {
        guard waiting.remove(request) else { return .none }
        return .failRequest(request, .timeout)
    }

    /// The idle sweep's timer fired: closes the connections idle for longer than the idle timeout, and
    /// stops the sweep once nothing is idle.
    mutating func sweepIdle(now: ContinuousClock.Instant) -> Action {
        guard isSweepScheduled else { return .none }
        let cutoff = now - idleTimeout
        var expired: [Connection] = []
        var kept = 0
        for index in idle.indices {
            let entry = idle[index]
            if entry.since < cutoff {
                expired.append(entry.connection)
            } else {
                idle[kept] = entry
                kept += 1
            }
        }
        idle.removeLast(idle.count - kept)
        let stop = idle.isEmpty
        if stop { isSweepScheduled = false }
        if expired.isEmpty && !stop { return .none }
        return .closeIdleConnections(expired, stopIdleSweep: stop)
    }

    /// Closes the pool: what waits fails, every connection closes, later requests fail at once.
    mutating func close() -> Action {
        isClosed = true
        idle = []
        let stop = isSweepScheduled
        isSweepScheduled = false
        return .shutDown(
            failing: waiting.removeAll(),
            failure: .clientShutDown,
            closing: connections,
            stopIdleSweep: stop
        )
    }
}

extension EndpointPoolStateMachine.Action: Equatable {}

extension EndpointPoolStateMachine {
    /// The requests waiting for a connection, oldest first: an array read from `head`. A request that
    /// leaves from the middle (a timeout) leaves a hole the front skips; the array is compacted once
    /// the slots before `head` are half of it. A steady queue neither allocates nor shifts its elements
    /// per request, and a timeout is cheap when it is, as usual, one of the oldest.
    struct RequestQueue {
        private var slots: [Request?] = []
        /// The oldest waiting request's slot (never a hole) when `count > 0`.
        private var head = 0
        private(set) var count = 0

        var isEmpty: Bool { count == 0 }

        mutating func append(_ request: Request) {
            slots.append(request)
            count += 1
        }

        mutating func popFirst() -> Request? {
            guard count > 0, let request = slots[head] else { return nil }
            take(at: head)
            return request
        }

        /// Whether `request` was waiting (it no longer is).
        mutating func remove(_ request: Request) -> Bool {
            guard count > 0, let index = slots[head...].firstIndex(where: { $0 == request }) else { return false }
            take(at: index)
            return true
        }

        mutating func removeAll() -> [Request] {
            let requests = slots[head...].compactMap { $0 }
            slots.removeAll(keepingCapacity: true)
            head = 0
            count = 0
            return requests
        }

        private mutating func take(at index: Int) {
            slots[index] = nil
            count -= 1
            if count == 0 {
                slots.removeAll(keepingCapacity: true)
                head = 0
                return
            }
            if index == head {
                while slots[head] == nil { head += 1 }
            }
            // Amortised: the elements moved are at most as many as the pops since the last compaction.
            if head >= 64 && head * 2 >= slots.count {
                slots.removeFirst(head)
                head = 0
            }
        }
    }
}
