/// A coalescing wake-up signal: any number of `signal()` calls before the waiter looks
/// collapse into one wake-up, and none is lost while the waiter is busy.
public struct Wakeup: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    public func signal() { continuation.yield() }

    /// The wake-ups; iterate from one task only.
    public var wakeups: AsyncStream<Void> { stream }

    /// Ends the sequence (on shutdown).
    public func finish() { continuation.finish() }
}
