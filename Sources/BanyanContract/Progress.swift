import Foundation

/// Shows how far a long task has come on standard error: a line redrawn in place on a terminal,
/// and nothing at all when standard error is not one (logs and pipes stay clean).
public final class ProgressLine: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`.
    private let lock = NSLock()
    private let label: String
    private let total: Int
    private var done = 0
    private let enabled: Bool
    private let started = Date()

    public init(label: String, total: Int, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.total = total
        self.enabled = enabled
    }

    /// Counts one more unit of work done and redraws the line.
    public func advance(_ detail: String = "") {
        lock.lock()
        done += 1
        let line = render(detail)
        lock.unlock()
        if enabled { FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8)) }
    }

    /// Clears the line.
    public func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    private func render(_ detail: String) -> String {
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let remaining = rate > 0 ? Double(total - done) / rate : 0
        let eta = done < total ? String(format: ", %.0f s left", remaining) : ""
        return "\(label) \(done)/\(total) (\(String(format: "%.1f", rate))/s\(eta)) \(detail.prefix(60))"
    }
}
