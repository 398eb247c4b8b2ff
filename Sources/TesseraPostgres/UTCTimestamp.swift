import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A UTC time to the millisecond as text, without a `DateFormatter` (cheap enough for every log line).
public enum UTCTimestamp {
    /// `2026-12-02T10:13:54.123Z` (RFC 3339), or `20261202T101354.123Z` when `compact` (sortable in
    /// file names).
    public static func text(secondsSince1970: Double, compact: Bool = false) -> String {
        let milliseconds = Int64((secondsSince1970 * 1000).rounded(.down))
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: compact ? "%04d%02d%02dT%02d%02d%02d.%03dZ" : "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900,
            Int(parts.tm_mon) + 1,
            Int(parts.tm_mday),
            Int(parts.tm_hour),
            Int(parts.tm_min),
            Int(parts.tm_sec),
            Int(milliseconds % 1000)
        )
    }
}
