import Foundation

/// The process's own figures, read from `/proc/self` (Linux): what Prometheus's `process_*` metrics
/// report. Nil fields could not be read (another system, or `/proc` not mounted).
struct ProcessStatistics: Sendable, Equatable {
    var residentBytes: Double?
    var virtualBytes: Double?
    /// User plus system CPU time.
    var cpuSeconds: Double?
    var openFileDescriptors: Double?
    var maxFileDescriptors: Double?
    /// Seconds since 1970.
    var startTimeSeconds: Double?
    var threads: Double?

    /// Reads them now.
    static func read() -> ProcessStatistics {
        var stats = ProcessStatistics()
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8) {
            stats.apply(stat: stat, ticksPerSecond: ticks, pageSize: pageSize, bootTime: bootTime())
        }
        if let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            stats.openFileDescriptors = Double(fds.count)
        }
        if let limits = try? String(contentsOfFile: "/proc/self/limits", encoding: .utf8) {
            stats.maxFileDescriptors = Self.maxOpenFiles(limits: limits)
        }
        return stats
    }

    /// Fills the fields of `/proc/self/stat` (proc(5)): the command name in parentheses may hold
    /// spaces, so the fields are counted from its closing parenthesis.
    mutating func apply(stat: String, ticksPerSecond: Double, pageSize: Double, bootTime: Double?) {
        guard let close = stat.lastIndex(of: ")") else { return }
        // Fields after the name, numbered from 3 (state) as in proc(5).
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        func field(_ n: Int) -> Double? { n - 3 < fields.count ? Double(fields[n - 3]) : nil }
        if let user = field(14), let system = field(15), ticksPerSecond > 0 {
            cpuSeconds = (user + system) / ticksPerSecond
        }
        threads = field(20)
        if let start = field(22), let bootTime, ticksPerSecond > 0 {
            startTimeSeconds = bootTime + start / ticksPerSecond
        }
        virtualBytes = field(23)
        if let pages = field(24) { residentBytes = pages * pageSize }
    }

    /// The soft limit of "Max open files" in `/proc/self/limits`.
    static func maxOpenFiles(limits: String) -> Double? {
        for line in limits.split(separator: "\n") where line.hasPrefix("Max open files") {
            let words = line.dropFirst("Max open files".count).split(separator: " ")
            return words.first.flatMap { Double($0) }
        }
        return nil
    }

    /// `btime` of `/proc/stat`: when the machine booted, seconds since 1970.
    static func bootTime() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
