import Foundation
import Logging
import Synchronization
import TesseraGeometry
import Testing

@testable import TesseraApp

/// The JSON log lines and the process figures behind `process_*`.
@Suite struct OperationsTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func jsonLinesCarryTheMessageLevelAndMetadataAsMembers() throws {
        let sink = Lines()
        var logger = Logger(label: "tessera") { label in
            JSONLogHandler(label: label) { line in sink.lines.withLock { $0.append(line) } }
        }
        logger.logLevel = .debug
        logger[metadataKey: "instance"] = "i-1"
        logger.debug(
            "delivery attempted",
            metadata: [
                "event_id": "e-1", "subscription": "s-1", "attempt": "2", "message": "shadowed", "list": ["a", "b"],
            ]
        )
        logger.trace("not written")
        let lines = sink.all
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix("\n") && !line.dropLast().contains("\n"), "one line per entry")
        let json = try JSONValue.parse(Array(line.utf8))
        #expect(json["level"] == .string("debug"))
        #expect(json["label"] == .string("tessera"))
        #expect(json["message"] == .string("delivery attempted"))
        #expect(json["event_id"] == .string("e-1"))
        #expect(json["subscription"] == .string("s-1"))
        #expect(json["instance"] == .string("i-1"))
        #expect(json["metadata.message"] == .string("shadowed"))
        #expect(json["list"] == .array([.string("a"), .string("b")]))
        let ts = try #require(json["ts"].flatMap { if case .string(let s) = $0 { s } else { nil } })
        #expect(ts.count == 24 && ts.hasSuffix("Z") && ts.contains("T"), "\(ts)")
    }

    @Test func timestampsAreRFC3339InUTCWithMilliseconds() {
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_796_207_172.0456)) == "2026-12-02T10:26:12.045Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    @Test func logFormatIsReadAndCheckedFromFileAndEnvironment() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-log-\(UUID()).json")
        try #"{"log_format": "json", "metrics": {"sample_interval_ms": 250}}"#.write(
            to: file,
            atomically: true,
            encoding: .utf8
        )
        let settings = try ServeConfiguration.load(file: file.path, environment: [:], options: [:])
        #expect(settings.logFormat == .json)
        #expect(settings.metricsSampleIntervalMilliseconds == 250)
        #expect(throws: ConfigurationError.self) {
            try ServeConfiguration.load(file: nil, environment: ["TESSERA_LOG_FORMAT": "xml"], options: [:])
        }
        #expect(throws: ConfigurationError.self) {
            try ServeConfiguration.load(
                file: nil,
                environment: ["TESSERA_METRICS_SAMPLE_INTERVAL_MS": "5"],
                options: [:]
            )
        }
    }

    /// proc(5): the name in parentheses may hold spaces and parentheses of its own.
    @Test func procStatIsReadFromAfterTheCommandName() {
        var stats = ProcessStatistics()
        let stat =
            "4242 (tessera (serve) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 9 0 12345 567890123 4321 18446744073709551615"
        stats.apply(stat: stat, ticksPerSecond: 100, pageSize: 4096, bootTime: 1_700_000_000)
        #expect(stats.cpuSeconds == 4.0)
        #expect(stats.threads == 9)
        #expect(stats.startTimeSeconds == 1_700_000_000 + 123.45)
        #expect(stats.virtualBytes == 567_890_123)
        #expect(stats.residentBytes == Double(4321 * 4096))
    }

    @Test func theLimitsFileGivesTheSoftLimitOfOpenFiles() {
        let limits = """
            Limit                     Soft Limit           Hard Limit           Units
            Max cpu time              unlimited            unlimited            seconds
            Max open files            1024                 524288               files
            """
        #expect(ProcessStatistics.maxOpenFiles(limits: limits) == 1024)
        let now = ProcessStatistics.read()
        #expect((now.residentBytes ?? 0) > 0)
        #expect((now.openFileDescriptors ?? 0) >= 3)
        #expect((now.startTimeSeconds ?? 0) > 1_600_000_000)
    }
}
