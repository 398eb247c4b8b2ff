import Dispatch
import Foundation
import TesseraPostgres

#if canImport(Glibc)
    import Glibc
#endif

/// The `expire-files` output: writes each delivery's payload (`z/x/y` lines) as one file in the
/// subscription's directory, atomically: a temporary file, `fsync`, `rename`, then `fsync` of the
/// directory, so a reader never sees half a file and a written file survives a power cut.
///
/// Names sort by time: `<first change, UTC, yyyyMMdd'T'HHmmss.SSS'Z'>-<event id>.<extension>`; the
/// extension comes from the payload's type (``extensions``): `.tiles` for a tile list, `.layer` for a
/// whole-layer marker. The name depends only on the delivery, so a retry (say, after a crash between
/// the write and its record) replaces the same file rather than adding a second one. After each write,
/// files of this form older than the subscription's retention are removed.
public struct ExpireFilesOutput: DeliveryOutput {
    public static let name = "expire-files"

    /// The file extensions: `tiles` for a tile list, `layer` for a whole-layer marker.
    static let extensions = ["tiles", "layer"]

    /// The payload type of a whole-layer marker (a TRUNCATE, or more tiles than the output may list).
    public static let wholeLayerContentType = "application/vnd.tessera.whole-layer+json"

    public var name: String { Self.name }

    public init() {}

    public func send(
        _ delivery: ClaimedDelivery,
        attempt: Int,
        to target: DeliveryTarget,
        completion: @escaping @Sendable (WebhookOutcome) -> Void
    ) {
        // File system calls block: off the event loops and the claim loop.
        DispatchQueue.global().async {
            let started = ContinuousClock.now
            do {
                let file = try Self.write(delivery, to: target)
                let duration = ContinuousClock.now - started
                completion(WebhookOutcome(statusCode: 200, duration: duration, responseBody: "wrote \(file)"))
            } catch let error as AddressPolicyError {
                completion(WebhookOutcome(duration: ContinuousClock.now - started, failure: .refused(error)))
            } catch {
                completion(
                    WebhookOutcome(duration: ContinuousClock.now - started, failure: .transport("\(error)"))
                )
            }
        }
    }

    /// Writes the file; returns its path.
    static func write(_ delivery: ClaimedDelivery, to target: DeliveryTarget) throws -> String {
        let directory = try target.directory.get()
        // Checked again where the links lead now: the directory may have been replaced since the refresh.
        _ = try target.policy.checkDirectory("file://" + directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ext = delivery.contentType == wholeLayerContentType ? "layer" : "tiles"
        let name = fileName(firstChangeAt: delivery.firstChangeAt, eventID: delivery.eventID, extension: ext)
        let path = directory + "/" + name
        let temporary = directory + "/." + name + ".tmp"
        try writeDurably(Array(delivery.payload.readableBytesView), to: temporary)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ExpireFileError("rename to \(path): \(reason)")
        }
        try syncDirectory(directory)
        if target.retentionHours > 0 {
            removeExpired(in: directory, olderThan: Date().addingTimeInterval(-Double(target.retentionHours) * 3600))
        }
        return path
    }

    /// `20261202T193512.345Z-<event id>.tiles`.
    static func fileName(firstChangeAt: Double, eventID: String, extension ext: String) -> String {
        "\(UTCTimestamp.text(secondsSince1970: firstChangeAt, compact: true))-\(eventID).\(ext)"
    }

    /// Whether `name` is a file this output writes (and so may remove).
    static func isOwnFile(_ name: String) -> Bool {
        let parts = name.split(separator: "-", maxSplits: 1)
        guard parts.count == 2, parts[0].count == 19, parts[0].hasSuffix("Z") else { return false }
        return extensions.contains { name.hasSuffix("." + $0) }
    }

    static func removeExpired(in directory: String, olderThan cutoff: Date) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where isOwnFile(name) {
            let path = directory + "/" + name
            guard let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            else { continue }
            if modified < cutoff { unlink(path) }
        }
    }

    static func writeDurably(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ExpireFileError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ExpireFileError("write \(path): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        guard fsync(fd) == 0 else { throw ExpireFileError("fsync \(path): \(String(cString: strerror(errno)))") }
    }

    static func syncDirectory(_ directory: String) throws {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw ExpireFileError("open \(directory): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ExpireFileError("fsync \(directory): \(String(cString: strerror(errno)))") }
    }
}

/// A file system failure of the `expire-files` output.
struct ExpireFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
