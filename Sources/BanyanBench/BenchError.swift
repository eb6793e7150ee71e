import BanyanCore

/// Why a benchmark could not run or its inputs could not be read; the message names the target,
/// file or option and says what to do.
public typealias BenchError = BanyanError<BenchErrorDomain>

/// The domain of ``BenchError``: where its codes are declared.
public enum BenchErrorDomain: ErrorDomain {
    /// `BenchError`.
    public static let errorName = "BenchError"
}

extension ErrorCode where Owner == BenchErrorDomain {
    /// An option or argument that cannot be used as given.
    public static let usage = Self("usage")
    /// The target refused or dropped the connections.
    public static let connect = Self("connect")
    /// The baseline file cannot be read.
    public static let baseline = Self("baseline")
    /// The target's process cannot be found or read.
    public static let process = Self("process")
}
