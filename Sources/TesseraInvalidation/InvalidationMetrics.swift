import Metrics

/// The metrics of the tile pipeline, recorded once a batch or a flush has committed (a rolled-back
/// transaction counts nothing). Names and labels are the README's "Metrics" table.
public enum InvalidationMetrics {
    /// Buckets of `tessera_window_age_at_flush_seconds`: around the usual debounce and max delay.
    public static let windowAgeBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]
    /// Buckets of `tessera_payload_items`: tiles listed per payload.
    public static let payloadItemBuckets: [Double] = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262_144]

    static func record(_ report: ChangeProcessor.BatchReport) {
        guard report.claimed > 0 else { return }
        for (table, count) in report.claimedByTable {
            Counter(label: "tessera_changes_claimed_total", dimensions: [("table", table)]).increment(by: count)
        }
        if report.skipped > 0 { Counter(label: "tessera_changes_noop_total").increment(by: report.skipped) }
        for (reason, count) in report.quarantinedByClass {
            Counter(label: "tessera_changes_quarantined_total", dimensions: [("reason", reason)]).increment(by: count)
        }
        if report.invalidGeometries > 0 {
            Counter(label: "tessera_geometry_invalid_total").increment(by: report.invalidGeometries)
        }
    }

    static func record(_ report: WindowFlusher.FlushReport) {
        guard report.windows > 0 else { return }
        Counter(label: "tessera_windows_flushed_total").increment(by: report.windows)
        let age = Recorder(label: "tessera_window_age_at_flush_seconds")
        for a in report.ages { age.record(a) }
        let items = Recorder(label: "tessera_payload_items", dimensions: [("kind", "tiles")])
        for n in report.tilesPerPayload { items.record(n) }
        if report.rollups > 0 { Counter(label: "tessera_rollups_total").increment(by: report.rollups) }
    }
}
