import Foundation

/// A progress bar on standard error with rows/s and the time left, redrawn in place at most ten
/// times a second; silent when standard error is not a terminal unless forced.
public final class ProgressBar: @unchecked Sendable {
    // @unchecked: every mutable field is guarded by `lock`.
    private let lock = NSLock()
    private let label: String
    private var total: Int
    private var done = 0
    private let startDone: Int
    private let started = Date()
    private var lastDraw = Date.distantPast
    public let enabled: Bool

    public init(label: String, total: Int, done: Int = 0, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.total = total
        self.done = done
        self.startDone = done
        self.enabled = enabled
    }

    /// Sets how many rows are done and redraws when due.
    public func update(done: Int, total: Int? = nil) {
        lock.lock()
        self.done = done
        if let total { self.total = total }
        let now = Date()
        let due = now.timeIntervalSince(lastDraw) >= 0.1
        if due { lastDraw = now }
        let line = due ? render(now: now) : nil
        lock.unlock()
        if enabled, let line { FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8)) }
    }

    /// Clears the line.
    public func finish() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    /// `backfill users [#######.............] 35% 350000/1000000 rows, 118000 rows/s, 6 s left`
    func render(now: Date) -> String {
        let elapsed = now.timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done - startDone) / elapsed : 0
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 20
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let left = rate > 0 && total > done ? String(format: ", %.0f s left", Double(total - done) / rate) : ""
        return "\(label) [\(bar)] \(Int(fraction * 100))% \(done)/\(total) rows, \(Int(rate)) rows/s\(left)"
    }
}
